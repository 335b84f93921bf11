import { defaultLocale, type Locale } from '../config/index.js';
import { headerText, wrap } from './escape.js';
import { footerWords } from './mail-words.js';
import { mjmlToHtml } from './mjml.js';
import { loadTemplates } from './template-files.js';

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

/**
 * The sign-up confirmation email. Rendered per sign-up (one MJML run each): sign-ups are rare
 * compared with the morning send, and the mail carries the reader's own confirm link.
 */
export async function renderConfirmation(input: ConfirmationInput): Promise<RenderedMail> {
  const locale = input.locale ?? defaultLocale();
  const site = input.site.name;
  const templates = loadTemplates('confirm');
  const subject = headerText(locale.t('confirmation.subject', { site }));
  const name = input.name?.trim();
  const ignore = locale.t('confirmation.ignore');
  const view = {
    lang: locale.lang,
    title: subject,
    preheader: locale.t('confirmation.preheader', { site }),
    siteName: site,
    longDate: '',
    greeting: name ? locale.t('mail.greeting_named', { name }) : locale.t('mail.greeting'),
    confirmUrl: input.confirmUrl,
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
  return { subject, html, text: templates.text(view).replace(/\n{3,}/g, '\n\n').trim() + '\n' };
}
