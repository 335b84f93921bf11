import { html, raw, type SafeHtml } from '../pages/html.js';

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

/**
 * A line chart as inline SVG, drawn on the server: no script, no front-end build, and a
 * <title>/<desc> carrying the numbers for screen readers. Values are plotted against `labels`.
 */
export function lineChart(options: {
  title: string;
  labels: readonly string[];
  series: readonly Series[];
  width?: number;
  height?: number;
}): SafeHtml {
  const width = options.width ?? 640;
  const height = options.height ?? 200;
  const pad = { left: 40, right: 24, top: 10, bottom: 24 };
  const n = options.labels.length;
  const max = Math.max(1, ...options.series.flatMap((s) => s.values));
  const top = niceCeil(max);
  const x = (i: number) => pad.left + (n <= 1 ? 0 : (i * (width - pad.left - pad.right)) / (n - 1));
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / top);
  const grid = [0, top / 2, top]
    .map(
      (t) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e3e5ea"/><text x="${pad.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#667085">${formatTick(t)}</text>`,
    )
    .join('');
  const every = Math.max(1, Math.ceil(n / 6));
  const xLabels = options.labels
    .map((l, i) =>
      i % every === 0 || i === n - 1
        ? `<text x="${x(i).toFixed(1)}" y="${height - 6}" text-anchor="middle" font-size="11" fill="#667085">${escapeXml(l)}</text>`
        : '',
    )
    .join('');
  const lines = options.series
    .map((s) => {
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="2" points="${points}"><title>${escapeXml(s.name)}</title></polyline>`;
    })
    .join('');
  const desc = options.series.map((s) => `${s.name}: ${s.values.join(', ')}`).join('; ');
  return html`<figure class="chart"><figcaption>${options.title}</figcaption>${raw(
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeXml(options.title)}"><title>${escapeXml(options.title)}</title><desc>${escapeXml(desc)}</desc>${grid}${lines}${xLabels}</svg>`,
  )}<p class="legend">${options.series.map((s) => html`<span><i style="background:${s.color}"></i>${s.name}</span> `)}</p></figure>`;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function formatTick(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)}k` : String(Math.round(v * 10) / 10);
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
