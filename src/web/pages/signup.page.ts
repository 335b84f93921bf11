import type { Config } from '../../config/index.js';
import type { Challenge } from '../../subscribers/challenge.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface SignupFormState {
  readonly email?: string;
  readonly name?: string;
  readonly sections?: readonly string[];
  readonly error?: { field: 'email' | 'challenge'; message: string };
  readonly challenge?: Challenge | undefined;
}

/** The form itself, shared by GET / and the embeddable GET /embed. Works without JavaScript. */
export function signupForm(config: Config, state: SignupFormState, options: { compact?: boolean; action?: string } = {}): SafeHtml {
  const sections = state.sections ?? ['stories', 'blogs'];
  const err = state.error;
  return html`<form method="post" action="${options.action ?? '/subscribe'}" novalidate>
  ${err ? html`<p class="alert" role="alert" id="form-error">${err.message}</p>` : ''}
  <div class="field">
    <label for="email">Email address</label>
    <input id="email" name="email" type="email" inputmode="email" autocomplete="email" required maxlength="254"
      value="${state.email ?? ''}"${err?.field === 'email' ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  </div>
  <div class="field">
    <label for="name">Name <span class="hint">optional</span></label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="100" value="${state.name ?? ''}">
  </div>
  ${options.compact
    ? html`<input type="hidden" name="embed" value="1">`
    : html`<fieldset>
    <legend>What would you like?</legend>
    <label class="choice"><input type="checkbox" name="sections" value="stories"${sections.includes('stories') ? ' checked' : ''}> Top stories</label>
    <label class="choice"><input type="checkbox" name="sections" value="blogs"${sections.includes('blogs') ? ' checked' : ''}> From the blogs</label>
  </fieldset>`}
  <div class="hp" aria-hidden="true">
    <label for="website">Leave this field empty</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  ${state.challenge
    ? html`<div class="field">
    <input type="hidden" name="challenge_token" value="${state.challenge.token}">
    <label for="challenge">${state.challenge.question} = <span class="hint">Solve this simple sum to show you are a person, e.g. for 1 + 3 enter 4.</span></label>
    <input id="challenge" name="challenge" type="text" inputmode="numeric" autocomplete="off" required maxlength="3"${err?.field === 'challenge' ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  </div>`
    : ''}
  <button type="submit">Subscribe</button>
</form>`;
}

export function signupPage(config: Config, state: SignupFormState): SafeHtml {
  return page({
    title: 'Sign up',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card">
<h1>Get top stories and blog posts emailed to you each day.</h1>
<p>One email each morning with the day's most-read stories and the best of the blogs. Unsubscribe with one click at any time.</p>
${signupForm(config, state)}
</div>
<p style="margin-top:1.25rem">Already subscribed? <a href="/manage">Manage your subscription</a>.</p>`,
  });
}

/** GET /embed: the bare form for an iframe on article pages. */
export function embedPage(config: Config, state: SignupFormState): SafeHtml {
  return page({
    title: 'Sign up',
    siteName: config.site.name,
    bare: true,
    body: html`<p><strong>Get top stories and blog posts emailed to you each day.</strong></p>
${signupForm(config, state, { compact: true })}`,
  });
}

/** The one answer to every accepted sign-up or manage request, whatever the address's state. */
export function checkInboxPage(config: Config, what: 'signup' | 'manage'): SafeHtml {
  return page({
    title: 'Check your inbox',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card" role="status">
<h1>Check your inbox</h1>
${what === 'signup'
  ? html`<p>If that address can be signed up, we have sent it an email. Open it and press the button inside to confirm your subscription.</p>`
  : html`<p>If that address has a subscription, we have sent it an email with a link to manage it.</p>`}
<p>Nothing there after a few minutes? Check your spam folder. We send at most one such email an hour.</p>
</div>`,
  });
}

export function managePage(config: Config, state: { email?: string; error?: string }): SafeHtml {
  return page({
    title: 'Manage your subscription',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card">
<h1>Manage your subscription</h1>
<p>Enter the address you subscribed with and we will email you a link to change your preferences or unsubscribe.</p>
<form method="post" action="/manage" novalidate>
  ${state.error ? html`<p class="alert" role="alert" id="form-error">${state.error}</p>` : ''}
  <div class="field">
    <label for="email">Email address</label>
    <input id="email" name="email" type="email" inputmode="email" autocomplete="email" required maxlength="254" value="${state.email ?? ''}"${state.error ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  </div>
  <div class="hp" aria-hidden="true">
    <label for="website">Leave this field empty</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  <button type="submit">Email me a link</button>
</form>
</div>`,
  });
}

/** A page saying what went wrong with a link, and what to do instead. */
export function messagePage(config: Config, title: string, paragraphs: readonly (string | SafeHtml)[]): SafeHtml {
  return page({
    title,
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card">
<h1>${title}</h1>
${paragraphs.map((p) => html`<p>${p}</p>`)}
</div>`,
  });
}
