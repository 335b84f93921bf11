import { defaultLocale, type Locale } from '../config/index.js';
import { randomBytes } from 'node:crypto';
import { escapeHtml, escapeText, headerText, wrap } from './escape.js';
import { footerWords } from './mail-words.js';
import { mjmlToHtml } from './mjml.js';
import { PREHEADER_FILLER } from './preheader.js';
import { loadTemplates } from './template-files.js';
import { wrapText } from './text-wrap.js';

export interface ConfirmationInput {
  readonly site: { readonly name: string; readonly postalAddress: string };
  readonly publicUrl: string;
  readonly confirmUrl: string;
  readonly name: string | null;
  /** The reader-facing words (config.locale); default English. */
  readonly locale?: Locale | undefined;
}

export interface RenderedMail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

interface ConfirmationTemplate {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** Letters and digits standing where each reader's greeting and confirm link go. */
  readonly greetingMarker: string;
  readonly urlMarker: string;
}

const rendered = new Map<string, Promise<ConfirmationTemplate>>();

/**
 * The sign-up confirmation email. MJML runs once per site and language (about 10 ms, which a burst
 * of sign-ups on two cores would otherwise queue behind); each sign-up fills in its greeting and its
 * confirm link, escaped, in place of two random markers that no input can forge.
 */
export async function renderConfirmation(input: ConfirmationInput): Promise<RenderedMail> {
  const locale = input.locale ?? defaultLocale();
  const key = JSON.stringify([input.site.name, input.site.postalAddress, input.publicUrl, locale.lang, locale.tag]);
  let template = rendered.get(key);
  if (!template) {
    template = renderTemplate(input, locale);
    template.catch(() => rendered.delete(key));
    rendered.set(key, template);
  }
  const t = await template;
  const name = input.name?.trim();
  const greeting = name ? locale.t('mail.greeting_named', { name }) : locale.t('mail.greeting');
  const fill = (s: string, g: string, u: string) => s.split(t.greetingMarker).join(g).split(t.urlMarker).join(u);
  return {
    subject: t.subject,
    html: fill(t.html, escapeHtml(greeting), escapeHtml(input.confirmUrl)),
    // The greeting has a line of its own (confirm.txt); a long name wraps it like the rest.
    text: fill(t.text, wrapText(escapeText(greeting)), input.confirmUrl),
  };
}

async function renderTemplate(input: ConfirmationInput, locale: Locale): Promise<ConfirmationTemplate> {
  const site = input.site.name;
  const templates = loadTemplates('confirm');
  const subject = headerText(locale.t('confirmation.subject', { site }));
  const greetingMarker = `grt${randomBytes(12).toString('hex')}`;
  const urlMarker = `url${randomBytes(12).toString('hex')}`;
  const ignore = locale.t('confirmation.ignore');
  const view = {
    lang: locale.lang,
    title: subject,
    preheader: locale.t('confirmation.preheader', { site }),
    preheaderFiller: PREHEADER_FILLER,
    siteName: site,
    longDate: '',
    greeting: greetingMarker,
    confirmUrl: urlMarker,
    reason: locale.t('confirmation.reason', { url: input.publicUrl }),
    unsubscribable: false,
    postalAddress: input.site.postalAddress,
    t: {
      ...footerWords(locale),
      ask: locale.t('confirmation.ask', { site }),
      until: locale.t('confirmation.until'),
      button: locale.t('confirmation.button'),
      textButton: locale.t('confirmation.text.button'),
      orLink: locale.t('confirmation.or_link'),
      ignore,
      textIgnore: wrap(ignore, 76),
    },
  };
  const html = await mjmlToHtml(templates.mjml(view), 'confirm.mjml');
  const text = wrapText(templates.text(view).replace(/\n{3,}/g, '\n\n').trim()) + '\n';
  return { subject, html, text, greetingMarker, urlMarker };
}
