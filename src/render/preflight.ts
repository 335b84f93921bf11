import { composeMessage } from './compose-message.js';
import type { RenderedEdition } from './edition.render.js';
import { htmlLinks, textLinks } from './links.js';
import { personalise } from './personalise.js';
import { LEFTOVER } from './placeholders.js';

/**
 * Preflight: the checks an edition must pass before the first message leaves. A failing check
 * stops the send (the delivery engine logs each problem as `edition.preflight_failed`);
 * `digest preview --check` runs the same checks and exits 1.
 */
/** Gmail clips HTML over 102 KB and hides what follows: the footer with the unsubscribe link. */
export const HTML_BUDGET_BYTES = 102_000;

export type PreflightCode =
  | 'html_too_large'
  | 'text_missing'
  | 'link_not_http'
  | 'link_foreign_host'
  | 'unsubscribe_url'
  | 'unsubscribe_missing'
  | 'list_unsubscribe'
  | 'headers'
  | 'placeholder_left';

export interface PreflightProblem {
  readonly code: PreflightCode;
  readonly message: string;
}

export interface PreflightReport {
  readonly ok: boolean;
  readonly problems: readonly PreflightProblem[];
  readonly htmlBytes: number;
  readonly textBytes: number;
  /** Links and image sources checked in the HTML part. */
  readonly links: number;
}

export interface MessageToCheck {
  readonly subject: string;
  /** One reader's personalised parts. */
  readonly html: string;
  readonly text: string;
  /** That reader's unsubscribe URL (the one-click POST target). */
  readonly unsubscribeUrl: string;
  /** The raw MIME as it will be handed to SMTP, to check its headers. */
  readonly raw?: Buffer | string;
  readonly publicUrl: string;
  /** Hosts links may point at besides PUBLIC_URL's (the stories', images', logo's). */
  readonly allowedHosts: readonly string[];
  /** Addresses story text quotes in the plain-text part (RenderedEdition.quotedLinks): text, not our links. */
  readonly quotedLinks?: readonly string[];
}

/** The raw header lines of a MIME message (before the first blank line), unfolded not. */
function headerBlock(raw: Buffer | string): string[] {
  const s = typeof raw === 'string' ? raw : raw.subarray(0, 64 * 1024).toString('utf8');
  const end = s.indexOf('\r\n\r\n');
  return (end >= 0 ? s.slice(0, end) : s).split('\r\n');
}

function oneLineHeader(lines: readonly string[], name: string): { value?: string; problem?: string } {
  const at = lines.flatMap((l, i) => (l.toLowerCase().startsWith(name.toLowerCase() + ':') ? [i] : []));
  if (at.length !== 1) return { problem: `${name} appears ${at.length} times (want exactly once)` };
  const i = at[0]!;
  if (/^[ \t]/.test(lines[i + 1] ?? ''))
    return { problem: `${name} is folded over several lines (breaks DKIM and one-click at some receivers)` };
  return { value: lines[i]!.slice(name.length + 1).trim() };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function checkMessage(m: MessageToCheck): PreflightReport {
  const problems: PreflightProblem[] = [];
  const add = (code: PreflightCode, message: string) => problems.push({ code, message });
  const publicUrl = m.publicUrl.replace(/\/+$/, '');
  const publicHost = new URL(publicUrl).host;
  const allowed = new Set([publicHost, ...m.allowedHosts]);

  const htmlBytes = Buffer.byteLength(m.html, 'utf8');
  const textBytes = Buffer.byteLength(m.text, 'utf8');
  if (htmlBytes > HTML_BUDGET_BYTES) {
    add(
      'html_too_large',
      `HTML is ${(htmlBytes / 1000).toFixed(1)} KB, over the ${HTML_BUDGET_BYTES / 1000} KB budget (Gmail clips it and hides the unsubscribe link)`,
    );
  }
  if (m.text.trim().length < 20) add('text_missing', 'the plain-text part is missing or empty');

  const links = htmlLinks(m.html);
  // A story may mention any address ("code at https://github.com/…"): that is its text, shown as
  // written, and must not fail the edition. Only the links the templates made are held to the rules.
  const quoted = new Set(m.quotedLinks);
  const ours = textLinks(m.text).filter((link) => !quoted.has(link));
  for (const link of [...links, ...ours]) {
    let url: URL | undefined;
    try {
      url = new URL(link);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      add('link_not_http', `link "${link.slice(0, 120)}" is not an absolute http(s) URL`);
    } else if (!allowed.has(url.host)) {
      add('link_foreign_host', `link "${link.slice(0, 120)}" points at ${url.host}, which is neither PUBLIC_URL nor a story's host`);
    }
  }

  // The one-click contract: POST ${PUBLIC_URL}/u/TOKEN unsubscribes (RFC 8058); GET shows a page.
  const unsubShape = new RegExp(`^${escapeRe(publicUrl)}/u/[A-Za-z0-9_.~-]{8,}$`);
  if (!unsubShape.test(m.unsubscribeUrl)) {
    add('unsubscribe_url', `unsubscribe URL "${m.unsubscribeUrl}" is not ${publicUrl}/u/TOKEN (the one-click POST endpoint)`);
  }
  if (!links.includes(m.unsubscribeUrl)) add('unsubscribe_missing', "the HTML part has no link to the reader's unsubscribe URL");
  if (!m.text.includes(m.unsubscribeUrl)) add('unsubscribe_missing', 'the plain-text part has no unsubscribe URL');

  for (const [where, s] of [
    ['subject', m.subject],
    ['HTML', m.html],
    ['text', m.text],
  ] as const) {
    const left = s.match(LEFTOVER);
    if (left) add('placeholder_left', `${where} still holds template placeholders: ${[...new Set(left)].slice(0, 5).join(', ')}`);
  }

  if (m.raw !== undefined) {
    const lines = headerBlock(m.raw);
    const lu = oneLineHeader(lines, 'List-Unsubscribe');
    if (lu.problem) add('list_unsubscribe', lu.problem);
    else if (!lu.value!.startsWith(`<${m.unsubscribeUrl}>`))
      add('list_unsubscribe', `List-Unsubscribe does not start with <${m.unsubscribeUrl}>`);
    const lup = oneLineHeader(lines, 'List-Unsubscribe-Post');
    if (lup.problem) add('list_unsubscribe', lup.problem);
    else if (lup.value !== 'List-Unsubscribe=One-Click')
      add('list_unsubscribe', `List-Unsubscribe-Post is "${lup.value}", want "List-Unsubscribe=One-Click"`);
    for (const name of ['Date', 'Message-ID', 'From', 'To', 'Subject']) {
      if (!lines.some((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))) add('headers', `the message has no ${name} header`);
    }
    if (!lines.some((l) => /^content-type:\s*multipart\/alternative/i.test(l)))
      add('headers', 'the message is not multipart/alternative (text + HTML)');
  }

  return { ok: problems.length === 0, problems, htmlBytes, textBytes, links: links.length };
}

export interface PreflightOptions {
  readonly publicUrl: string;
  readonly from: string;
  /** A sample reader; default a long name and a token as long as real ones. */
  readonly sample?: { readonly name: string | null; readonly unsubscribeUrl: string; readonly preferencesUrl: string };
}

/**
 * Preflight of a rendered edition: personalised for a sample reader, built into MIME exactly as a
 * delivery would be, then checked. Run once per rendered section choice before any send.
 */
export async function preflightEdition(rendered: RenderedEdition, options: PreflightOptions): Promise<PreflightReport> {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const token = 'x'.repeat(64);
  const sample = options.sample ?? {
    name: 'Preflight Sample-Reader With A Long Name',
    unsubscribeUrl: `${publicUrl}/u/${token}`,
    preferencesUrl: `${publicUrl}/p/${token}`,
  };
  const parts = personalise(rendered, sample);
  const raw = await composeMessage({
    from: options.from,
    to: 'preflight@example.invalid',
    subject: rendered.subject,
    html: parts.html,
    text: parts.text,
    messageId: `<preflight.${rendered.date}@example.invalid>`,
    listUnsubscribe: { url: sample.unsubscribeUrl },
  });
  return checkMessage({
    subject: rendered.subject,
    html: parts.html,
    text: parts.text,
    unsubscribeUrl: sample.unsubscribeUrl,
    raw,
    publicUrl,
    allowedHosts: rendered.linkHosts,
    quotedLinks: rendered.quotedLinks,
  });
}

/** One line per problem, for logs, `digest status` and the admin. */
export function describePreflight(report: PreflightReport): string {
  if (report.ok)
    return `preflight ok: HTML ${(report.htmlBytes / 1000).toFixed(1)} KB of ${HTML_BUDGET_BYTES / 1000} KB, text ${(report.textBytes / 1000).toFixed(1)} KB, ${report.links} links`;
  return report.problems.map((p) => `preflight ${p.code}: ${p.message}`).join('\n');
}
