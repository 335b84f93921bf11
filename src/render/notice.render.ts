import { defaultLocale, type Locale } from '../config/index.js';
import { escapeHtml, escapeText, headerText } from './escape.js';
import { footerWords } from './mail-words.js';
import { renderMarked, type RenderedMail } from './marked-mail.js';
import { mjmlToHtml } from './mjml.js';
import { PREHEADER_FILLER } from './preheader.js';
import { loadTemplates } from './template-files.js';
import { textPart } from './text-wrap.js';

/** Why a reader is sent their links: they asked ("manage my subscription"), or signed up while active. */
export type NoticeReason = 'manage' | 'already_subscribed';

export interface NoticeInput {
  readonly site: { readonly name: string; readonly postalAddress: string };
  readonly why: NoticeReason;
  /** The reader is unsubscribed: the mail says the preference page resubscribes. */
  readonly unsubscribed: boolean;
  /** Absolute links (mail needs PUBLIC_URL in them). */
  readonly preferencesUrl: string;
  readonly unsubscribeUrl: string;
  readonly name: string | null;
  /** The reader-facing words (config.locale); default English. */
  readonly locale?: Locale | undefined;
}

const SLOTS = ['greeting', 'preferencesUrl', 'unsubscribeUrl'] as const;
type Slot = (typeof SLOTS)[number];

/**
 * The notice email (templates/notice.*): fresh preference and unsubscribe links for a reader who
 * lost theirs, or for an active reader who filled in the sign-up form again (a repeat sign-up is
 * answered by mail, never on the page, which must not reveal who is subscribed). Rendered once per
 * site, language, reason and state (renderMarked); each mail fills in its greeting and links, escaped.
 */
export async function renderNotice(input: NoticeInput): Promise<RenderedMail> {
  const locale = input.locale ?? defaultLocale();
  const name = input.name?.trim();
  const greeting = name ? locale.t('mail.greeting_named', { name }) : locale.t('mail.greeting');
  const key = ['notice', input.site.name, input.site.postalAddress, locale.lang, locale.tag, input.why, input.unsubscribed];
  return renderMarked(JSON.stringify(key), SLOTS, (markers) => renderTemplate(input, locale, markers), {
    html: {
      greeting: escapeHtml(greeting),
      preferencesUrl: escapeHtml(input.preferencesUrl),
      unsubscribeUrl: escapeHtml(input.unsubscribeUrl),
    },
    text: { greeting: escapeText(greeting), preferencesUrl: input.preferencesUrl, unsubscribeUrl: input.unsubscribeUrl },
  });
}

async function renderTemplate(input: NoticeInput, locale: Locale, markers: Readonly<Record<Slot, string>>): Promise<RenderedMail> {
  const site = input.site.name;
  const templates = loadTemplates('notice');
  const subject = headerText(locale.t('manage_mail.subject', { site }));
  const lead =
    input.why === 'already_subscribed' ? locale.t('manage_mail.already_subscribed', { site }) : locale.t('manage_mail.links', { site });
  const view = {
    lang: locale.lang,
    title: subject,
    preheader: lead,
    preheaderFiller: PREHEADER_FILLER,
    siteName: site,
    longDate: '',
    greeting: markers.greeting,
    preferencesUrl: markers.preferencesUrl,
    unsubscribeUrl: markers.unsubscribeUrl,
    unsubscribable: false,
    postalAddress: input.site.postalAddress,
    t: {
      ...footerWords(locale),
      lead,
      state: input.unsubscribed ? locale.t('manage_mail.unsubscribed') : '',
      button: locale.t('manage_mail.button'),
      unsubscribeLink: locale.t('manage_mail.unsubscribe'),
      textPreferences: locale.t('manage_mail.text.preferences', { url: markers.preferencesUrl }),
      textUnsubscribe: locale.t('manage_mail.text.unsubscribe', { url: markers.unsubscribeUrl }),
      ignore: locale.t('manage_mail.ignore'),
    },
  };
  const html = await mjmlToHtml(templates.mjml(view), 'notice.mjml');
  // Wrapped at 78 like every text part; the links stand alone, each on its line, and are never cut.
  const text = textPart(templates.text(view));
  return { subject, html, text };
}
