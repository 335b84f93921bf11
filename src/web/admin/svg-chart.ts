import { html, raw, type SafeHtml } from '../pages/html.js';

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

/** The plot's own coordinates: the SVG stretches them to its box (preserveAspectRatio="none"). */
const W = 1000;
const H = 100;
/** At most this many day labels under the plot: about 45 px apart on a 375 px phone. */
const MAX_X_LABELS = 6;

/**
 * A line chart drawn on the server: no script, no front-end build, and a <title>/<desc> carrying the
 * numbers for screen readers. Values are plotted against `labels`.
 *
 * Only the lines are SVG; the axis labels are HTML placed by percentage beside and under it (CSS:
 * `.plot` in admin.layout.ts). Text inside a scaled SVG shrinks with it: a 640-unit-wide chart drawn
 * 320 px wide on a phone had 5 px labels. The lines stretch to any width (their strokes do not:
 * non-scaling-stroke) and the labels stay the page's size.
 */
export function lineChart(options: { title: string; labels: readonly string[]; series: readonly Series[] }): SafeHtml {
  const n = options.labels.length;
  const max = Math.max(1, ...options.series.flatMap((s) => s.values));
  const top = niceCeil(max);
  const xPct = (i: number) => (n <= 1 ? 0 : (i * 100) / (n - 1));
  const yPct = (v: number) => 100 * (1 - v / top);
  const ticks = [top, top / 2, 0];
  const grid = ticks
    .map(
      (t) =>
        `<line x1="0" x2="${W}" y1="${((yPct(t) * H) / 100).toFixed(2)}" y2="${((yPct(t) * H) / 100).toFixed(2)}" stroke="#e3e5ea" vector-effect="non-scaling-stroke"/>`,
    )
    .join('');
  const lines = options.series
    .map((s) => {
      const points = s.values.map((v, i) => `${((xPct(i) * W) / 100).toFixed(1)},${((yPct(v) * H) / 100).toFixed(2)}`).join(' ');
      return `<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="2" vector-effect="non-scaling-stroke" stroke-linejoin="round" points="${points}"><title>${escapeXml(s.name)}</title></polyline>`;
    })
    .join('');
  // Counted back from the last day, so today is always labelled and the labels are evenly spaced.
  const every = Math.max(1, Math.ceil(n / MAX_X_LABELS));
  const xLabels = options.labels
    .map((l, i) => ((n - 1 - i) % every === 0 ? html`<span style="left:${xPct(i).toFixed(2)}%">${l}</span>` : ''))
    .filter((l) => l !== '');
  const yLabels = ticks.map((t) => html`<span style="top:${yPct(t).toFixed(2)}%">${formatTick(t)}</span>`);
  const desc = options.series.map((s) => `${s.name}: ${s.values.join(', ')}`).join('; ');
  return html`<figure class="chart"><figcaption>${options.title}</figcaption><div class="plot"><div class="y" aria-hidden="true">${yLabels}</div>${raw(
    `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${escapeXml(options.title)}"><title>${escapeXml(options.title)}</title><desc>${escapeXml(desc)}</desc>${grid}${lines}</svg>`,
  )}<div class="x" aria-hidden="true">${xLabels}</div></div><p class="legend">${options.series.map((s) => html`<span><i style="background:${s.color}"></i>${s.name}</span> `)}</p></figure>`;
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
