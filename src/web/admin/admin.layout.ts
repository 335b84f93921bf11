import type { FastifyReply, FastifyRequest } from 'fastify';
import { countOf, packageInfo } from '../../config/index.js';
import { html, raw, type SafeHtml } from '../pages/html.js';
import { htmlDocument, sendHtml } from '../pages/layout.js';
import { schemaLevel } from '../schema-level.js';
import { csrfToken, isAdminViewer, sessionOf } from './admin-session.js';
import type { WebDeps } from '../web-deps.js';

const STYLE = raw(`
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:#1d2330;background:#f4f5f7}
header.bar{background:#1d2330;color:#fff;padding:8px 16px;display:grid;grid-template-columns:minmax(0,1fr) auto;gap:4px 16px;align-items:center}
header.bar strong{grid-area:1/1} header.bar form{grid-area:1/2;margin:0} header.bar button{background:transparent;color:#fff;border:1px solid #667085}
header.bar nav{grid-area:2/1/3/3;display:flex;gap:14px;overflow-x:auto;white-space:nowrap;scrollbar-width:thin}
header.bar a{color:#fff;text-decoration:none;padding:2px 0} header.bar a[aria-current]{text-decoration:underline;text-underline-offset:4px;scroll-initial-target:nearest}
@media (min-width:1000px){ header.bar{grid-template-columns:auto minmax(0,1fr) auto} header.bar nav{grid-area:1/2} header.bar form{grid-area:1/3} }
main{max-width:1100px;margin:0 auto;padding:16px} body.wide main,body.wide footer.release{max-width:1280px}
h1{font-size:22px;margin:4px 0 16px} h2{font-size:17px;margin:24px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e3e5ea;border-radius:8px;padding:12px}
.card b{display:block;font-size:24px} .muted{color:#667085;font-size:13px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e3e5ea} th,td{padding:7px 9px;border-bottom:1px solid #e3e5ea;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} .scroll{overflow-x:auto}
figure.chart{margin:0;background:#fff;border:1px solid #e3e5ea;border-radius:8px;padding:10px} figcaption{font-weight:600;margin-bottom:4px}
.plot{display:grid;grid-template-columns:2.8em minmax(0,1fr) 1.6em;grid-template-rows:150px 1.8em;font-size:12px;line-height:1;color:#667085;margin-top:8px}
.plot svg{grid-area:1/2;display:block;width:100%;height:100%;overflow:visible} .plot .y{grid-area:1/1;position:relative} .plot .x{grid-area:2/2;position:relative}
.plot .y span{position:absolute;right:8px;transform:translateY(-50%)} .plot .x span{position:absolute;top:6px;transform:translateX(-50%);white-space:nowrap}
.legend span{margin-right:12px;font-size:13px} .legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #1346b8;background:#1346b8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1346b8} a.button{display:inline-block;padding:6px 12px;border-radius:6px;border:1px solid #b3261e;background:#fff;color:#b3261e;text-decoration:none} input{font:inherit;padding:6px 8px;border:1px solid #98a2b3;border-radius:6px;max-width:100%}
.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center} .row form{margin:0}
.ok{color:#137333} .bad{color:#b3261e} .flash{background:#eef3ff;border-left:4px solid #1346b8;padding:8px 12px;margin:0 0 12px}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.frames{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start} figure{margin:0} .frames figure{max-width:100%} pre{white-space:pre-wrap}
iframe.preview{display:block;box-sizing:content-box;border:1px solid #ccc;background:#fff} .frames figure.phone iframe{max-width:calc(100% - 2px)} .frames figure.desktop{overflow-x:auto}
main:has(#inbox-rows a) form.inbox-clear{display:block} main:not(:has(#inbox-rows a)) form.inbox-clear{display:none}
iframe.message{width:100%;height:70vh;border:1px solid #d0d4dc;background:#fff} td.s{word-break:break-word} pre{word-break:break-word;background:#fff;border:1px solid #e3e5ea;padding:12px;font-size:13px}
footer.release{max-width:1100px;margin:0 auto;padding:8px 16px 24px}
nav.tabs{display:flex;gap:8px;margin:12px 0} nav.tabs a{padding:6px 10px;background:#fff;border:1px solid #d0d4dc;border-radius:6px;text-decoration:none;color:#1d2330}
@media (max-width:600px){
 table,tbody,tr,td{display:block} thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
 tr{border-bottom:1px solid #e3e5ea;padding:6px 0} tbody tr:last-child{border-bottom:0} td{border:0;padding:2px 10px;overflow-wrap:anywhere} td.n{text-align:left}
 td:empty{display:none} td[data-label]{position:relative;min-height:calc(1.5em + 4px);padding-left:calc(36% + 14px)} td[data-label]::before{content:attr(data-label);position:absolute;left:10px;width:36%;font-weight:600;font-size:13px;color:#667085}
 th.d,td.d{display:none}
}
`);

const NAV: readonly [string, string][] = [
  ['/admin', 'Dashboard'],
  ['/admin/editions', 'Editions'],
  ['/admin/stories', 'Stories'],
  ['/admin/subscribers', 'Subscribers'],
  ['/admin/preview', 'Preview'],
  ['/editions', 'Archive'],
];

/**
 * The footer: which release runs and how far the database's schema is ("daily-digest 0.4.0 · schema
 * 060_story_source"), with any pending migration in red. For the admin only: the login page is public,
 * and a version tells a stranger which advisories apply. The schema is asked afresh (schema-level.ts).
 */
async function releaseFooter(request: FastifyRequest, deps: WebDeps): Promise<SafeHtml> {
  if (!isAdminViewer(deps.config, request)) return html``;
  const { name, version } = packageInfo();
  let schema: SafeHtml;
  try {
    const level = await schemaLevel(deps.db);
    const pending = level.pending.length;
    schema = html`schema ${level.applied ?? 'empty'}${
      pending > 0
        ? html` · <span class="bad">${countOf(pending, 'migration', 'migrations')} pending (${level.pending.join(', ')}): run digest migrate</span>`
        : ''
    }${
      level.newer.length > 0
        ? html` · <span class="bad">migrated by a newer release (${level.newer.join(', ')}): run that release, or restore the backup</span>`
        : ''
    }`;
  } catch (err) {
    schema = html`<span class="bad">schema unknown: ${(err as Error).message}</span>`;
  }
  return html`<footer class="release muted">${name} ${version} · ${schema}</footer>`;
}

/**
 * An admin page: the shared document (pages/layout.ts) with the admin's stylesheet, navigation, log-out
 * button and release footer; `script`, a path of ours under /assets/, loaded deferred (send the page
 * with ADMIN_LIVE_CSP); `wide`, for a page that needs more than the usual 1,100 px (the preview's two
 * frames side by side).
 */
export async function adminPage(
  request: FastifyRequest,
  deps: WebDeps,
  title: string,
  body: SafeHtml,
  options: { readonly script?: string; readonly wide?: boolean } = {},
): Promise<SafeHtml> {
  const path = request.url.split('?')[0];
  const session = sessionOf(request);
  const nav = [...NAV, ...(deps.catcher ? [['/inbox', 'Inbox'] as [string, string]] : [])];
  return htmlDocument({
    lang: 'en',
    title: `${title} · ${deps.config.site.name} admin`,
    style: STYLE,
    ...(options.script ? { head: html`<script src="${options.script}" defer></script>` } : {}),
    ...(options.wide ? { bodyClass: 'wide' } : {}),
    header: html`<header class="bar"><strong>${deps.config.site.name} admin</strong>
<nav aria-label="Admin">${nav.map(([href, label]) => html`<a href="${href}" ${href === path ? raw('aria-current="page"') : ''}>${label}</a>`)}</nav>
${session ? html`<form method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="${csrfToken(deps.config.keys.current, session)}"><button type="submit">Log out</button></form>` : ''}
</header>`,
    main: html`<h1>${title}</h1>${body}`,
    footer: await releaseFooter(request, deps),
  });
}

/** A hidden CSRF field for a form on an admin page (empty for Bearer-authorised requests). */
export function csrfField(request: FastifyRequest, deps: WebDeps): SafeHtml {
  const session = sessionOf(request);
  return session ? html`<input type="hidden" name="_csrf" value="${csrfToken(deps.config.keys.current, session)}">` : html``;
}

/** The admin's policy: no script; frames only from this site (the catcher's message, the preview). */
export const ADMIN_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The live pages' policy (the inbox, an edition): the admin's, plus our own script and its requests back here. */
export const ADMIN_LIVE_CSP = `${ADMIN_CSP}; script-src 'self'; connect-src 'self'`;

export function sendAdminPage(reply: FastifyReply, status: number, page: SafeHtml, csp = ADMIN_CSP): FastifyReply {
  return sendHtml(reply, status, page, { csp, referrer: 'same-origin' });
}
