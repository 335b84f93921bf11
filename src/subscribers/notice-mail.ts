import type { Config } from '../config/index.js';
import type { Subscriber } from '../db/index.js';
import { escapeHtml } from '../render/index.js';
import { preferencesUrl, unsubscribeUrl } from './links.js';

/**
 * The "manage my subscription" email: fresh preferences and unsubscribe links for a reader who lost
 * theirs, or for an active reader who filled in the sign-up form again (so a repeat sign-up is
 * answered by mail, never on the page: the page must not reveal who is subscribed).
 */
export function manageMail(
  config: Config,
  subscriber: Pick<Subscriber, 'id' | 'token_version' | 'name' | 'status'>,
  why: 'manage' | 'already_subscribed',
): { subject: string; html: string; text: string } {
  const site = config.site.name;
  const l = config.locale;
  const prefs = preferencesUrl(config, subscriber);
  const unsub = unsubscribeUrl(config, subscriber);
  const hello = subscriber.name ? l.t('mail.greeting_named', { name: subscriber.name }) : l.t('mail.greeting');
  const lead = why === 'already_subscribed' ? l.t('manage_mail.already_subscribed', { site }) : l.t('manage_mail.links', { site });
  const state = subscriber.status === 'unsubscribed' ? l.t('manage_mail.unsubscribed') : '';
  const footer = `${l.t('manage_mail.ignore')}${config.site.postalAddress ? `\n${config.site.postalAddress}` : ''}`;
  const text = [hello, '', lead, state, '', l.t('manage_mail.text.preferences', { url: prefs }), l.t('manage_mail.text.unsubscribe', { url: unsub }), '', footer]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
  const p = (s: string) => (s ? `<p style="margin:0 0 16px">${escapeHtml(s)}</p>` : '');
  const html = `<!doctype html><html lang="${escapeHtml(l.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(site)}</title></head>
<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;background:#ffffff">
<div style="max-width:560px;margin:0 auto">
${p(hello)}${p(lead)}${p(state)}
<p style="margin:24px 0"><a href="${escapeHtml(prefs)}" style="display:inline-block;background:#1a56db;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:bold">${escapeHtml(l.t('manage_mail.button'))}</a></p>
<p style="margin:0 0 16px"><a href="${escapeHtml(unsub)}" style="color:#1a56db">${escapeHtml(l.t('manage_mail.unsubscribe'))}</a></p>
<p style="margin:32px 0 0;font-size:13px;color:#555">${escapeHtml(footer).replace(/\n/g, '<br>')}</p>
</div></body></html>`;
  return { subject: l.t('manage_mail.subject', { site }).replace(/\s+/g, ' '), html, text };
}
