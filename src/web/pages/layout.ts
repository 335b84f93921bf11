import type { FastifyReply } from 'fastify';
import type { Config } from '../../config/index.js';
import { html, raw, type SafeHtml } from './html.js';

/**
 * The reader pages' stylesheet: no JavaScript, no external assets, one small stylesheet that reads
 * well from 320 px phones to desktops, visible focus, and labels on every control.
 */
const STYLE = raw(`
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:17px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif;color:#1a1a1a;background:#f4f4f1}
main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem 3rem}
body.wide main,body.wide header.site,body.wide footer{max-width:44rem}
.card{background:#fff;border:1px solid #ddd;border-radius:10px;padding:1.25rem 1.25rem 1.5rem}
header.site{max-width:36rem;margin:0 auto;padding:1.25rem 1rem 0;font-weight:700;font-size:1.1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline}
header.site a{color:inherit;text-decoration:none}
header.site nav{margin-left:auto;font-weight:400;font-size:.95rem}
header.site nav a{color:#1346b8;text-decoration:underline}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
p{margin:0 0 1rem}
a{color:#1346b8}
label{display:block;font-weight:600;margin:0 0 .3rem}
.field{margin:0 0 1.1rem}
/* The weekday matters only to a weekly reader: hidden while "Every day" is chosen, with no script. */
form:has(input[name=frequency][value=daily]:checked) .field.weekday{display:none}
.hint{display:block;font-weight:400;color:#555;font-size:.9rem}
[hidden]{display:none!important}
input[type=email],input[type=text],input[type=number],select,textarea{display:block;width:100%;max-width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #888;border-radius:6px;background:#fff;color:inherit}
textarea{min-height:5rem}
fieldset{border:0;padding:0;margin:0 0 1.1rem;min-width:0}
legend{font-weight:600;padding:0;margin:0 0 .3rem}
.choice{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:.25rem 0}
.choice input{margin-top:.35rem;width:1.1rem;height:1.1rem;flex:none}
button{font:inherit;font-weight:600;padding:.7rem 1.2rem;border-radius:6px;border:2px solid #1346b8;background:#1346b8;color:#fff;cursor:pointer;min-height:44px;max-width:100%}
button.secondary{background:#fff;color:#1346b8}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.error{color:#a4000f;font-weight:600}
.alert{border-left:4px solid #a4000f;background:#fff3f3;padding:.6rem .8rem;margin:0 0 1rem}
.notice{border-left:4px solid #1346b8;background:#eef3ff;padding:.6rem .8rem;margin:0 0 1rem}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.row{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center}
.row>form{margin:0}
footer{max-width:36rem;margin:0 auto;padding:0 1rem 2rem;color:#555;font-size:.85rem}
.addr{overflow-wrap:anywhere}
a.button{display:inline-block;font-weight:600;padding:.7rem 1.2rem;border-radius:6px;border:2px solid #1346b8;background:#1346b8;color:#fff;text-decoration:none;min-height:44px}
a.button.secondary{background:#fff;color:#1346b8}
.meta{color:#555;font-size:.9rem}
ul.plain{list-style:none;padding:0;margin:0}
ul.plain>li{padding:.75rem 0;border-top:1px solid #e4e4e0}
ul.plain>li:first-child{border-top:0}
.story h3{font-size:1.1rem;line-height:1.35;margin:0 0 .25rem;overflow-wrap:anywhere}
.story h3 a{color:#1a1a1a;text-decoration:none}
.story h3 a:hover{text-decoration:underline}
.story p{margin:0 0 .25rem;overflow-wrap:anywhere}
.story img{display:block;max-width:100%;height:auto;border-radius:6px;margin:0 0 .5rem}
.cta{margin:1.25rem 0 0}
`);

/** The site's icon, also served at /favicon.ico (favicon.route.ts) for pages without this link. */
export const FAVICON_PATH = '/favicon.svg';

/**
 * The one HTML document every page of the site is: the reader pages, the archive and its editions,
 * the error pages, the demo's article pages (page(), below) and the admin, its login, preview and the
 * catcher's inbox (adminPage(), admin/admin.layout.ts). What differs is passed in: the language, the
 * stylesheet, the header and footer. Never indexed; no script unless a page names one of ours.
 */
export interface DocumentOptions {
  readonly lang: string;
  /** The whole <title>. */
  readonly title: string;
  readonly style: SafeHtml;
  /** A <meta name="referrer"> as well as the header: pages whose URL holds a reader's token. */
  readonly noReferrer?: boolean;
  /** More of the head (a canonical link, a deferred script of ours); markup we wrote. */
  readonly head?: SafeHtml;
  readonly bodyClass?: string;
  readonly header?: SafeHtml;
  readonly main: SafeHtml;
  readonly footer?: SafeHtml;
}

export function htmlDocument(o: DocumentOptions): SafeHtml {
  return html`<!doctype html>
<html lang="${o.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${
  o.noReferrer
    ? html`<meta name="referrer" content="no-referrer">
`
    : ''
}<meta name="robots" content="noindex">
<title>${o.title}</title>
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
<style>${o.style}</style>
${o.head ?? ''}
</head>
<body${o.bodyClass ? html` class="${o.bodyClass}"` : ''}>
${o.header ?? ''}
<main id="main">
${o.main}
</main>
${o.footer ?? ''}
</body>
</html>`;
}

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** The bare form for an iframe on article pages: no site header or footer. */
  readonly bare?: boolean;
  /** A wider column, for pages of stories (the archive, an edition). */
  readonly wide?: boolean;
  /** More of the head (a canonical link); markup we wrote. */
  readonly head?: SafeHtml;
  /** A script of ours (a path under /assets/), loaded deferred; the page's CSP must allow 'self' scripts. */
  readonly script?: string;
}

/** The site's name, postal address and readers' language come from the settings, for every page. */
type PageSite = Pick<Config, 'site' | 'locale'>;

/** A reader-facing page: the site's header (name, archive) and footer (postal address), in the readers' language. */
export function page(config: PageSite, o: PageOptions): SafeHtml {
  const siteName = config.site.name;
  const postalAddress = config.site.postalAddress;
  return htmlDocument({
    lang: config.locale.lang,
    title: `${o.title} · ${siteName}`,
    style: STYLE,
    noReferrer: true,
    head: html`${o.head ?? ''}${o.script ? html`<script src="${o.script}" defer></script>` : ''}`,
    ...(o.wide ? { bodyClass: 'wide' } : {}),
    ...(o.bare
      ? {}
      : {
          header: html`<header class="site"><a href="/">${siteName}</a><nav><a href="/editions">${config.locale.t('nav.archive')}</a></nav></header>`,
        }),
    main: o.body,
    ...(o.bare || !postalAddress ? {} : { footer: html`<footer><p>${postalAddress}</p></footer>` }),
  });
}

export interface SendHtmlOptions {
  readonly csp: string;
  /** Referrer-Policy; none set when omitted (the browser's default). */
  readonly referrer?: 'no-referrer' | 'same-origin';
  /** Cache-Control; no-store when omitted. */
  readonly cacheControl?: string;
}

/** Sends a page of ours: HTML, nosniff, the page's own CSP, its referrer and cache policies. */
export function sendHtml(reply: FastifyReply, status: number, body: SafeHtml, o: SendHtmlOptions): FastifyReply {
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', o.cacheControl ?? 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', o.csp);
  if (o.referrer) reply.header('referrer-policy', o.referrer);
  return reply.send(body.value);
}

export interface SendPageOptions {
  /** The embeddable form, which article pages frame. */
  readonly frameable?: boolean;
  /** Runs our own scripts (/assets/…): 'self' only, never inline. */
  readonly scripts?: boolean;
}

/** The reader pages' policy: inline styles, our images, our forms; scripts only from this site, and only where asked. */
export function readerCsp(options: SendPageOptions = {}): string {
  return `default-src 'none'; ${options.scripts ? "script-src 'self'; " : ''}style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors ${options.frameable ? '*' : "'none'"}`;
}

/**
 * Sends a reader page with headers that keep tokens in URLs private (no referrer, no caching) and
 * refuse scripts (except our own, where a page asks) and framing (except the embeddable form).
 */
export function sendPage(reply: FastifyReply, status: number, body: SafeHtml, options: SendPageOptions = {}): FastifyReply {
  return sendHtml(reply, status, body, { csp: readerCsp(options), referrer: 'no-referrer' });
}
