import type { Config } from '../../config/index.js';
import { html, tHtml, type SafeHtml } from './html.js';
import { page } from './layout.js';
import type { UsualSendTime } from './send-time.js';

/**
 * GET /confirm/:token. Mail scanners fetch links before the reader does, so this page changes
 * nothing: its button POSTs the confirmation. (No auto-submitting script: scanners run scripts too.)
 */
export function confirmPage(config: Config, token: string, email: string): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: l.t('confirm.title'),
    body: html`<div class="card">
<h1>${l.t('confirm.title')}</h1>
<p>${tHtml(l, 'confirm.lead', { site: config.site.name, email: html`<strong class="addr">${email}</strong>` })}</p>
<form method="post" action="/confirm/${token}">
  <button type="submit">${l.t('confirm.button')}</button>
</form>
</div>`,
  });
}

/** `usual`: when the next edition reaches this reader (send-time.ts); the sentence is left out when the schedule sends nothing this week. */
export function confirmedPage(config: Config, preferencesUrl: string, already: boolean, usual: UsualSendTime | undefined): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: already ? l.t('confirmed.title_already') : l.t('confirmed.title'),
    body: html`<div class="card" role="status">
<h1>${already ? l.t('confirmed.heading_already') : l.t('confirmed.title')}</h1>
${usual ? html`<p>${l.t('confirmed.first', { time: usual.time, zone: usual.zone })}</p>` : ''}
<p><a href="${preferencesUrl}">${l.t('confirmed.preferences')}</a></p>
</div>`,
  });
}
