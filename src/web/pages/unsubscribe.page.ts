import type { Config } from '../../config/index.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

/** GET /u/:token: one button, nothing changed (mail-security scanners follow links). */
export function unsubscribePage(config: Config, o: { token: string; email: string; preferencesUrl: string; alreadyUnsubscribed: boolean }): SafeHtml {
  return page({
    title: 'Unsubscribe',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card">
<h1>Unsubscribe from ${config.site.name}</h1>
${o.alreadyUnsubscribed
  ? html`<p class="notice"><strong class="addr">${o.email}</strong> is already unsubscribed. No more digests will be sent to it.</p>`
  : html`<p>Stop sending the daily digest to <strong class="addr">${o.email}</strong>?</p>
<form method="post" action="/u/${o.token}">
  <button type="submit">Unsubscribe</button>
</form>
<p style="margin-top:1.25rem">Or <a href="${o.preferencesUrl}?fewer=1">get fewer emails instead</a> (a weekly edition, or fewer sections).</p>`}
</div>`,
  });
}

const REASONS = [
  ['too_many', 'Too many emails'],
  ['not_relevant', 'The stories are not relevant to me'],
  ['never_signed_up', 'I never signed up for this'],
  ['other', 'Something else'],
] as const;

/** After POST /u/:token: done, plus an optional reason, resubscribe, or fewer emails instead. */
export function unsubscribedPage(config: Config, o: { token: string; preferencesUrl: string; reasonSaved: boolean }): SafeHtml {
  return page({
    title: 'Unsubscribed',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card" role="status">
<h1>You are unsubscribed</h1>
<p>You will not receive any more digests from us.</p>
<div class="row">
  <form method="post" action="/u/${o.token}/resubscribe"><button type="submit" class="secondary">Undo: resubscribe</button></form>
  <a href="${o.preferencesUrl}?fewer=1">Get fewer emails instead</a>
</div>
</div>
<div class="card" style="margin-top:1.25rem">
${o.reasonSaved
  ? html`<p role="status">Thank you for telling us.</p>`
  : html`<form method="post" action="/u/${o.token}">
  <fieldset>
    <legend>Would you tell us why? <span class="hint">optional</span></legend>
    ${REASONS.map(([value, label]) => html`<label class="choice"><input type="radio" name="reason" value="${value}"> ${label}</label>`)}
  </fieldset>
  <div class="field">
    <label for="comment">Anything else <span class="hint">optional</span></label>
    <textarea id="comment" name="comment" maxlength="400"></textarea>
  </div>
  <button type="submit" class="secondary">Send</button>
</form>`}
</div>`,
  });
}

export function reasonText(body: Record<string, unknown>): string | null {
  const code = typeof body.reason === 'string' ? REASONS.find(([v]) => v === body.reason)?.[0] : undefined;
  const comment = typeof body.comment === 'string' ? body.comment.replace(/\s+/g, ' ').trim().slice(0, 400) : '';
  const text = [code, comment].filter(Boolean).join(': ');
  return text === '' ? null : text;
}
