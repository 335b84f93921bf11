import type { Config } from '../../config/index.js';
import type { Subscriber } from '../../db/index.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

let zones: readonly string[] | undefined;
function timeZones(): readonly string[] {
  zones ??= (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  return zones;
}

export type PreferencesView = Pick<Subscriber, 'email' | 'name' | 'status' | 'sections' | 'frequency' | 'weekday' | 'send_hour' | 'timezone'>;

function selected(on: boolean): SafeHtml | '' {
  return on ? html` selected` : '';
}
function checked(on: boolean): SafeHtml | '' {
  return on ? html` checked` : '';
}

/** GET|POST /p/:token: everything a reader can choose, no login (the signed link is the key). */
export function preferencesPage(
  config: Config,
  o: { token: string; view: PreferencesView; unsubscribeUrl: string; saved?: boolean; fewer?: boolean; errors?: Record<string, string> },
): SafeHtml {
  const v = o.view;
  const errors = o.errors ?? {};
  const frequency = o.fewer && !o.saved ? 'weekly' : v.frequency;
  const weekday = v.weekday ?? 1;
  const err = (field: string) => (errors[field] ? html`<span class="error" id="${field}-error">${errors[field]}</span>` : '');
  const described = (field: string) => (errors[field] ? html` aria-invalid="true" aria-describedby="${field}-error"` : '');
  const unsubscribed = v.status === 'unsubscribed';
  return page({
    title: 'Your preferences',
    siteName: config.site.name,
    postalAddress: config.site.postalAddress,
    body: html`<div class="card">
<h1>Your preferences</h1>
<p>For <strong class="addr">${v.email}</strong>.</p>
${o.saved ? html`<p class="notice" role="status">Saved.${v.status === 'active' ? ' Your next digest follows these settings.' : ''}</p>` : ''}
${Object.keys(errors).length > 0 ? html`<p class="alert" role="alert">Please correct the fields marked below.</p>` : ''}
${unsubscribed ? html`<p class="notice">You are unsubscribed. Saving these settings subscribes you again.</p>` : ''}
${v.status === 'pending' ? html`<p class="notice">Your subscription is not confirmed yet: press the button in the confirmation email.</p>` : ''}
<form method="post" action="/p/${o.token}">
  <div class="field">
    <label for="name">Name <span class="hint">optional, used in the greeting</span></label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="100" value="${v.name ?? ''}">
  </div>
  <fieldset${described('sections')}>
    <legend>Sections</legend>
    ${err('sections')}
    <label class="choice"><input type="checkbox" name="sections" value="stories"${checked(v.sections.includes('stories'))}> Top stories</label>
    <label class="choice"><input type="checkbox" name="sections" value="blogs"${checked(v.sections.includes('blogs'))}> From the blogs</label>
  </fieldset>
  <fieldset>
    <legend>How often</legend>
    ${err('frequency')}
    <label class="choice"><input type="radio" name="frequency" value="daily"${checked(frequency === 'daily')}> Every day</label>
    <label class="choice"><input type="radio" name="frequency" value="weekly"${checked(frequency === 'weekly')}> Once a week: the week's top stories</label>
  </fieldset>
  <div class="field">
    <label for="weekday">Day for the weekly edition</label>
    ${err('weekday')}
    <select id="weekday" name="weekday"${described('weekday')}>
      ${WEEKDAYS.map((d, i) => html`<option value="${i}"${selected(i === weekday)}>${d}</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="send_hour">Delivery time</label>
    ${err('send_hour')}
    <select id="send_hour" name="send_hour"${described('send_hour')}>
      <option value=""${selected(v.send_hour === null)}>The usual morning edition</option>
      ${Array.from({ length: 24 }, (_, h) => html`<option value="${h}"${selected(v.send_hour === h)}>${String(h).padStart(2, '0')}:00</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="timezone">Time zone</label>
    ${err('timezone')}
    <select id="timezone" name="timezone"${described('timezone')}>
      <option value=""${selected(v.timezone === null)}>Default (${config.digest.timeZone})</option>
      ${timeZones().map((z) => html`<option${selected(v.timezone === z)}>${z}</option>`)}
    </select>
  </div>
  <button type="submit">${unsubscribed ? 'Save and resubscribe' : 'Save preferences'}</button>
</form>
</div>
${unsubscribed ? '' : html`<p style="margin-top:1.25rem"><a href="${o.unsubscribeUrl}">Unsubscribe</a></p>`}`,
  });
}
