import type { Config } from '../../config/index.js';
import { html, tHtml, type SafeHtml } from './html.js';
import { page } from './layout.js';

/**
 * The pages for an address that leads nowhere (404), a request that cannot be read (400 and other
 * 4xx), a failure of ours (500) and a database held for a moment by the operator (503, the holder
 * named in small print), in the reader pages' style, each with a way back.
 */
export function errorPage(config: Pick<Config, 'site' | 'locale'>, status: number, detail?: string, busy = false): SafeHtml {
  const l = config.locale;
  const [title, lead] =
    status === 404
      ? [l.t('error.not_found.title'), l.t('error.not_found.lead')]
      : busy
        ? [l.t('error.busy.title'), l.t('error.busy.lead')]
        : status >= 500
          ? [l.t('error.server.title'), l.t('error.server.lead')]
          : status === 400
            ? [l.t('error.bad_request.title'), l.t('error.bad_request.lead', { detail: detail ?? '' })]
            : [l.t('error.refused.title'), detail ?? ''];
  return page(config, {
    title,
    body: html`<div class="card">
<h1>${title}</h1>
${lead ? html`<p>${lead}</p>` : ''}
<p>${tHtml(l, 'error.links', { home: html`<a href="/">${l.t('error.home')}</a>`, archive: html`<a href="/editions">${l.t('error.archive')}</a>` })}</p>
<p class="meta">${status}${busy && detail ? html` · ${detail}` : ''}</p>
</div>`,
  });
}
