import type { Config } from '../../config/index.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

/**
 * GET /confirm/:token. Mail scanners fetch links before the reader does, so this page changes
 * nothing: its button POSTs the confirmation. (No auto-submitting script: scanners run scripts too.)
 */
export function confirmPage(config: Config, token: string, email: string): SafeHtml {
  return page({
    title: 'Confirm your subscription',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card">
<h1>Confirm your subscription</h1>
<p>Press the button to start receiving ${config.site.name} at <strong class="addr">${email}</strong>.</p>
<form method="post" action="/confirm/${token}">
  <button type="submit">Yes, subscribe me</button>
</form>
</div>`,
  });
}

export function confirmedPage(config: Config, preferencesUrl: string, already: boolean): SafeHtml {
  return page({
    title: already ? 'Already confirmed' : 'You are subscribed',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card" role="status">
<h1>${already ? 'Your subscription is already confirmed' : 'You are subscribed'}</h1>
<p>Your first digest arrives with the next morning's edition.</p>
<p><a href="${preferencesUrl}">Choose sections, frequency and delivery time</a></p>
</div>`,
  });
}
