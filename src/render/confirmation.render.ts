import { defaultLocale, type Locale } from '../config/index.js';
import { escapeHtml, escapeText, headerText, wrap } from './escape.js';
import { footerWords } from './mail-words.js';
import { renderMarked, type RenderedMail } from './marked-mail.js';
import { mjmlToHtml } from './mjml.js';
import { PREHEADER_FILLER } from './preheader.js';
import { loadTemplates } from './template-files.js';
import { textPart, wrapText } from './text-wrap.js';

export interface ConfirmationInput {
  readonly site: { readonly name: string; readonly postalAddress: string };
  readonly publicUrl: string;
  readonly confirmUrl: string;
  readonly name: string | null;
  /** The reader-facing words (config.locale); default English. */
  readonly locale?: Locale | undefined;
}

/**
 * The sign-up confirmation email, rendered once per site and language (renderMarked); each sign-up
 * fills in its greeting and its confirm link, escaped.
 */
export async function renderConfirmation(input: ConfirmationInput): Promise<RenderedMail> {
  const locale = input.locale ?? defaultLocale();
  const name = input.name?.trim();
  const greeting = name ? locale.t('mail.greeting_named', { name }) : locale.t('mail.greeting');
  return renderMarked(
    JSON.stringify(['confirm', input.site.name, input.site.postalAddress, input.publicUrl, locale.lang, locale.tag]),
    ['greeting', 'confirmUrl'],
    (markers) => renderTemplate(input, locale, markers),
    {
      html: { greeting: escapeHtml(greeting), confirmUrl: escapeHtml(input.confirmUrl) },
      // The greeting has a line of its own (confirm.txt); a long name wraps it like the rest.
      text: { greeting: wrapText(escapeText(greeting)), confirmUrl: input.confirmUrl },
    },
  );
}

async function renderTemplate(
  input: ConfirmationInput,
  locale: Locale,
  markers: { greeting: string; confirmUrl: string },
): Promise<RenderedMail> {
  const site = input.site.name;
  const templates = loadTemplates('confirm');
  const subject = headerText(locale.t('confirmation.subject', { site }));
  const ignore = locale.t('confirmation.ignore');
  const view = {
    lang: locale.lang,
    title: subject,
    preheader: locale.t('confirmation.preheader', { site }),
    preheaderFiller: PREHEADER_FILLER,
    siteName: site,
    longDate: '',
    greeting: markers.greeting,
    confirmUrl: markers.confirmUrl,
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
  const text = textPart(templates.text(view));
  return { subject, html, text };
}
