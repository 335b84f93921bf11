import type { Config } from '../../config/index.js';
import type { SubscriberStatus } from '../../db/index.js';
import { html, tHtml, type SafeHtml } from './html.js';
import { page } from './layout.js';

/** GET /u/:token: one button, nothing changed (mail-security scanners follow links). */
export function unsubscribePage(
  config: Config,
  o: { token: string; email: string; preferencesUrl: string; status: SubscriberStatus; frequency: 'daily' | 'weekly' },
): SafeHtml {
  const l = config.locale;
  const email = html`<strong class="addr">${o.email}</strong>`;
  const alreadyUnsubscribed = o.status === 'unsubscribed' || o.status === 'bounced';
  return page(config, {
    title: l.t('unsubscribe.title'),
    body: html`<div class="card">
<h1>${l.t('unsubscribe.heading', { site: config.site.name })}</h1>
${
  alreadyUnsubscribed
    ? html`<p class="notice">${tHtml(l, 'unsubscribe.already', { email })}</p>
${
  // The link is still in their mail: a reader who changed their mind gets back in from it (a bounced
  // address cannot: the relay refused it, and signing up again checks it).
  o.status === 'unsubscribed'
    ? html`<form method="post" action="/u/${o.token}/resubscribe"><button type="submit" class="secondary">${l.t('unsubscribe.resubscribe')}</button></form>`
    : ''
}`
    : html`<p>${tHtml(l, o.frequency === 'weekly' ? 'unsubscribe.question_weekly' : 'unsubscribe.question', { email })}</p>
<form method="post" action="/u/${o.token}">
  <button type="submit">${l.t('unsubscribe.button')}</button>
</form>
<p style="margin-top:1.25rem">${tHtml(l, 'unsubscribe.fewer', { link: html`<a href="${o.preferencesUrl}?fewer=1">${l.t('unsubscribe.fewer_link')}</a>` })}</p>`
}
</div>`,
  });
}

/** The reasons offered after unsubscribing; the code is what the event keeps, the label is the locale's. */
const REASONS = ['too_many', 'not_relevant', 'never_signed_up', 'other'] as const;

/** After POST /u/:token: done, plus an optional reason, resubscribe, or fewer emails instead. */
export function unsubscribedPage(config: Config, o: { token: string; preferencesUrl: string; reasonSaved: boolean }): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: l.t('unsubscribed.title'),
    body: html`<div class="card" role="status">
<h1>${l.t('unsubscribed.heading')}</h1>
<p>${l.t('unsubscribed.lead')}</p>
<div class="row">
  <form method="post" action="/u/${o.token}/resubscribe"><button type="submit" class="secondary">${l.t('unsubscribed.undo')}</button></form>
  <a href="${o.preferencesUrl}?fewer=1">${l.t('unsubscribed.fewer')}</a>
</div>
</div>
<div class="card" style="margin-top:1.25rem">
${
  o.reasonSaved
    ? html`<p role="status">${l.t('unsubscribed.thanks')}</p>`
    : html`<form method="post" action="/u/${o.token}">
  <fieldset>
    <legend>${l.t('unsubscribed.why')} <span class="hint">${l.t('form.optional')}</span></legend>
    ${REASONS.map((value) => html`<label class="choice"><input type="radio" name="reason" value="${value}"> ${l.t(`unsubscribed.reason.${value}`)}</label>`)}
  </fieldset>
  <div class="field">
    <label for="comment">${l.t('unsubscribed.comment')} <span class="hint">${l.t('form.optional')}</span></label>
    <textarea id="comment" name="comment" maxlength="400"></textarea>
  </div>
  <button type="submit" class="secondary">${l.t('unsubscribed.send')}</button>
</form>`
}
</div>`,
  });
}

export function reasonText(body: Record<string, unknown>): string | null {
  const code = typeof body.reason === 'string' ? REASONS.find((v) => v === body.reason) : undefined;
  const comment = typeof body.comment === 'string' ? body.comment.replace(/\s+/g, ' ').trim().slice(0, 400) : '';
  const text = [code, comment].filter(Boolean).join(': ');
  return text === '' ? null : text;
}
