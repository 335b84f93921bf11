import type { FastifyReply } from 'fastify';
import type { Config } from '../../config/index.js';
import { html, raw, type SafeHtml } from './html.js';

/**
 * The shell of every reader-facing page: no JavaScript, no external assets, one small stylesheet that
 * reads well from 320 px phones to desktops, visible focus, and labels on every control.
 */
const STYLE = raw(`
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:17px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif;color:#1a1a1a;background:#f4f4f1}
main{max-width:36rem;margin:0 auto;padding:1.5rem 1rem 3rem}
.card{background:#fff;border:1px solid #ddd;border-radius:10px;padding:1.25rem 1.25rem 1.5rem}
header.site{max-width:36rem;margin:0 auto;padding:1.25rem 1rem 0;font-weight:700;font-size:1.1rem}
header.site a{color:inherit;text-decoration:none}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
p{margin:0 0 1rem}
a{color:#1346b8}
label{display:block;font-weight:600;margin:0 0 .3rem}
.field{margin:0 0 1.1rem}
.hint{display:block;font-weight:400;color:#555;font-size:.9rem}
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
`);

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** The bare form for an iframe on article pages: no site header or footer. */
  readonly bare?: boolean;
}

/** The site's name, postal address and readers' language come from the settings, for every page. */
type PageSite = Pick<Config, 'site' | 'locale'>;

export function page(config: PageSite, o: PageOptions): SafeHtml {
  const siteName = config.site.name;
  const postalAddress = config.site.postalAddress;
  return html`<!doctype html>
<html lang="${config.locale.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${o.title} · ${siteName}</title>
<style>${STYLE}</style>
</head>
<body>
${o.bare ? '' : html`<header class="site"><a href="/">${siteName}</a></header>`}
<main id="main">
${o.body}
</main>
${o.bare || !postalAddress ? '' : html`<footer><p>${postalAddress}</p></footer>`}
</body>
</html>`;
}

/**
 * Sends a page with headers that keep tokens in URLs private (no referrer, no caching) and refuse
 * scripts and framing (except the embeddable form, which article pages frame).
 */
export function sendPage(reply: FastifyReply, status: number, body: SafeHtml, options: { frameable?: boolean } = {}): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors ${options.frameable ? '*' : "'none'"}`,
    )
    .send(body.value);
}
