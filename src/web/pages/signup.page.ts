import type { Config } from '../../config/index.js';
import type { Challenge } from '../../subscribers/index.js';
import { html, tHtml, type SafeHtml } from './html.js';
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
  const l = config.locale;
  return html`<form method="post" action="${options.action ?? '/subscribe'}" novalidate>
  ${err ? html`<p class="alert" role="alert" id="form-error">${err.message}</p>` : ''}
  <div class="field">
    <label for="email">${l.t('form.email')}</label>
    <input id="email" name="email" type="email" inputmode="email" autocomplete="email" required maxlength="254"
      value="${state.email ?? ''}"${err?.field === 'email' ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  </div>
  <div class="field">
    <label for="name">${l.t('form.name')} <span class="hint">${l.t('form.optional')}</span></label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="100" value="${state.name ?? ''}">
  </div>
  ${
    options.compact
      ? html`<input type="hidden" name="embed" value="1">`
      : html`<fieldset>
    <legend>${l.t('form.sections')}</legend>
    <label class="choice"><input type="checkbox" name="sections" value="stories"${sections.includes('stories') ? ' checked' : ''}> ${l.t('sections.stories')}</label>
    <label class="choice"><input type="checkbox" name="sections" value="blogs"${sections.includes('blogs') ? ' checked' : ''}> ${l.t('sections.blogs')}</label>
  </fieldset>`
  }
  <div class="hp" aria-hidden="true">
    <label for="website">${l.t('form.honeypot')}</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  ${
    state.challenge
      ? html`<div class="field">
    <input type="hidden" name="challenge_token" value="${state.challenge.token}">
    <label for="challenge">${state.challenge.question} = <span class="hint">${l.t('form.challenge_hint')}</span></label>
    <input id="challenge" name="challenge" type="text" inputmode="numeric" autocomplete="off" required maxlength="3"${err?.field === 'challenge' ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  </div>`
      : ''
  }
  <button type="submit">${l.t('form.subscribe')}</button>
</form>`;
}

export function signupPage(config: Config, state: SignupFormState): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: l.t('signup.title'),
    body: html`<div class="card">
<h1>${l.t('signup.heading')}</h1>
<p>${l.t('signup.lead')}</p>
${signupForm(config, state)}
</div>
<p style="margin-top:1.25rem">${tHtml(l, 'signup.already_subscribed', { link: html`<a href="/manage">${l.t('signup.manage_link')}</a>` })}</p>`,
  });
}

/** GET /embed: the bare form for an iframe on article pages. */
export function embedPage(config: Config, state: SignupFormState): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: l.t('signup.title'),
    bare: true,
    body: html`<p><strong>${l.t('signup.heading')}</strong></p>
${signupForm(config, state, { compact: true })}`,
  });
}

/** The one answer to every accepted sign-up or manage request, whatever the address's state. */
export function checkInboxPage(config: Config, what: 'signup' | 'manage'): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: l.t('check_inbox.title'),
    body: html`<div class="card" role="status">
<h1>${l.t('check_inbox.title')}</h1>
<p>${what === 'signup' ? l.t('check_inbox.signup') : l.t('check_inbox.manage')}</p>
<p>${l.t('check_inbox.spam')}</p>
</div>`,
  });
}

export function managePage(config: Config, state: { email?: string; error?: string }): SafeHtml {
  const l = config.locale;
  return page(config, {
    title: l.t('manage.title'),
    body: html`<div class="card">
<h1>${l.t('manage.title')}</h1>
<p>${l.t('manage.lead')}</p>
<form method="post" action="/manage" novalidate>
  ${state.error ? html`<p class="alert" role="alert" id="form-error">${state.error}</p>` : ''}
  <div class="field">
    <label for="email">${l.t('form.email')}</label>
    <input id="email" name="email" type="email" inputmode="email" autocomplete="email" required maxlength="254" value="${state.email ?? ''}"${state.error ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  </div>
  <div class="hp" aria-hidden="true">
    <label for="website">${l.t('form.honeypot')}</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  <button type="submit">${l.t('manage.submit')}</button>
</form>
</div>`,
  });
}

/** A page saying what went wrong with a link, and what to do instead. */
export function messagePage(config: Config, title: string, paragraphs: readonly (string | SafeHtml)[]): SafeHtml {
  return page(config, {
    title,
    body: html`<div class="card">
<h1>${title}</h1>
${paragraphs.map((p) => html`<p>${p}</p>`)}
</div>`,
  });
}
