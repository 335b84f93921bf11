import type { Config } from '../../config/index.js';
import type { Subscriber } from '../../db/index.js';
import { readerNextEdition } from '../../editions/index.js';
import { html, tHtml, type SafeHtml } from './html.js';
import { page } from './layout.js';
import { clock, usualSendTime } from './send-time.js';
import { canonicalZone, zoneGroups } from './time-zones.js';

/** The page's one script (favicon.route.ts serves it): the browser's zone preselected, the usual time shown in the chosen zone. */
export const PREFERENCES_SCRIPT = '/assets/preferences.js';

export type PreferencesView = Pick<
  Subscriber,
  'email' | 'name' | 'status' | 'sections' | 'frequency' | 'weekday' | 'send_hour' | 'timezone'
>;

/** Day names come from Intl in the locale's language ("lundi"); a list item starts with a capital. */
function capitalise(word: string, tag: string): string {
  return word.charAt(0).toLocaleUpperCase(tag) + word.slice(1);
}

function selected(on: boolean): SafeHtml | '' {
  return on ? html` selected` : '';
}
function checked(on: boolean): SafeHtml | '' {
  return on ? html` checked` : '';
}

/**
 * "Saved." and, for a reader who gets the digest, when the next one comes under what they just saved:
 * "Saved. Your next digest: Wednesday 9 December, 07:00 (Europe/Paris)."
 */
function savedNotice(config: Config, v: PreferencesView, now: Date): string {
  const l = config.locale;
  const next = v.status === 'active' ? readerNextEdition(config, v, now) : undefined;
  if (!next) return l.t('preferences.saved');
  const zone = v.timezone || config.digest.timeZone;
  const day = new Intl.DateTimeFormat(l.tag, { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long' }).format(next);
  return l.t('preferences.saved_next', { day: capitalise(day, l.tag), time: clock(next, zone), zone });
}

/** GET|POST /p/:token: everything a reader can choose, no login (the signed link is the key). */
export function preferencesPage(
  config: Config,
  o: {
    token: string;
    view: PreferencesView;
    unsubscribeUrl: string;
    now: Date;
    saved?: boolean;
    fewer?: boolean;
    errors?: Record<string, string>;
  },
): SafeHtml {
  const v = o.view;
  const errors = o.errors ?? {};
  const frequency = o.fewer && !o.saved ? 'weekly' : v.frequency;
  const weekday = v.weekday ?? 1;
  const err = (field: string) => (errors[field] ? html`<span class="error" id="${field}-error">${errors[field]}</span>` : '');
  const described = (field: string) => (errors[field] ? html` aria-invalid="true" aria-describedby="${field}-error"` : '');
  const unsubscribed = v.status === 'unsubscribed';
  const l = config.locale;
  const weekdays = [0, 1, 2, 3, 4, 5, 6].map((d) => capitalise(l.weekday(d), l.tag));
  // A stored old name (Asia/Calcutta) selects its zone under IANA's name (Asia/Kolkata).
  const zone = v.timezone === null ? null : canonicalZone(v.timezone);
  const usual = usualSendTime(config, zone, o.now);
  const usualLabel = usual
    ? l.t('preferences.usual_time', { time: usual.time, zone: usual.zone })
    : l.t('preferences.usual_time', { time: '—', zone: zone ?? config.digest.timeZone });
  return page(config, {
    title: l.t('preferences.title'),
    script: PREFERENCES_SCRIPT,
    body: html`<div class="card">
<h1>${l.t('preferences.title')}</h1>
<p>${tHtml(l, 'preferences.for', { email: html`<strong class="addr">${v.email}</strong>` })}</p>
${o.saved ? html`<p class="notice" role="status">${savedNotice(config, v, o.now)}</p>` : ''}
${Object.keys(errors).length > 0 ? html`<p class="alert" role="alert">${l.t('preferences.correct')}</p>` : ''}
${unsubscribed ? html`<p class="notice">${l.t('preferences.unsubscribed')}</p>` : ''}
${v.status === 'pending' ? html`<p class="notice">${l.t('preferences.pending')}</p>` : ''}
<form method="post" action="/p/${o.token}">
  <div class="field">
    <label for="name">${l.t('form.name')} <span class="hint">${l.t('preferences.name_hint')}</span></label>
    <input id="name" name="name" type="text" autocomplete="name" maxlength="100" value="${v.name ?? ''}">
  </div>
  <fieldset${described('sections')}>
    <legend>${l.t('preferences.sections')}</legend>
    ${err('sections')}
    <label class="choice"><input type="checkbox" name="sections" value="stories"${checked(v.sections.includes('stories'))}> ${l.t('sections.stories')}</label>
    <label class="choice"><input type="checkbox" name="sections" value="blogs"${checked(v.sections.includes('blogs'))}> ${l.t('sections.blogs')}</label>
  </fieldset>
  <fieldset>
    <legend>${l.t('preferences.how_often')}</legend>
    ${err('frequency')}
    <label class="choice"><input type="radio" name="frequency" value="daily"${checked(frequency === 'daily')}> ${l.t('preferences.daily')}</label>
    <label class="choice"><input type="radio" name="frequency" value="weekly"${checked(frequency === 'weekly')}> ${l.t('preferences.weekly')}</label>
  </fieldset>
  <div class="field weekday">
    <label for="weekday">${l.t('preferences.weekday')}</label>
    ${err('weekday')}
    <select id="weekday" name="weekday"${described('weekday')}>
      ${weekdays.map((d, i) => html`<option value="${i}"${selected(i === weekday)}>${d}</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="send_hour">${l.t('preferences.send_hour')}</label>
    ${err('send_hour')}
    <select id="send_hour" name="send_hour"${described('send_hour')}>
      <option value=""${selected(v.send_hour === null)} data-send-at="${usual ? usual.sendAt.map((d) => d.toISOString()).join(' ') : ''}"
        data-template="${l.t('preferences.usual_time', { time: '{time}', zone: '{zone}' })}">${usualLabel}</option>
      ${Array.from({ length: 24 }, (_, h) => html`<option value="${h}"${selected(v.send_hour === h)}>${String(h).padStart(2, '0')}:00</option>`)}
    </select>
  </div>
  <div class="field">
    <label for="timezone">${l.t('preferences.timezone')}</label>
    ${err('timezone')}
    <select id="timezone" name="timezone"${errors.timezone ? described('timezone') : html` aria-describedby="timezone-browser"`} data-default="${config.digest.timeZone}" data-stored="${zone ?? ''}">
      <option value=""${selected(zone === null)}>${l.t('preferences.timezone_default', { zone: config.digest.timeZone })}</option>
      ${zoneGroups().map(
        (g) =>
          html`<optgroup label="${g.region}">${g.zones.map(
            (z) =>
              html`<option value="${z.name}"${z.aliases.length ? html` data-aliases="${z.aliases.join(' ')}"` : ''}${selected(zone === z.name)}>${z.label}</option>`,
          )}</optgroup>`,
      )}
    </select>
    <span class="hint" id="timezone-browser" hidden>${l.t('preferences.timezone_browser')}</span>
  </div>
  <button type="submit">${unsubscribed ? l.t('preferences.save_resubscribe') : l.t('preferences.save')}</button>
</form>
</div>
${unsubscribed ? '' : html`<p style="margin-top:1.25rem"><a href="${o.unsubscribeUrl}">${l.t('preferences.unsubscribe')}</a></p>`}`,
  });
}
