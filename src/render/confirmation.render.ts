import { headerText } from './escape.js';
import { mjmlToHtml } from './mjml.js';
import { loadTemplates } from './template-files.js';

export interface ConfirmationInput {
  readonly site: { readonly name: string; readonly postalAddress: string };
  readonly publicUrl: string;
  readonly confirmUrl: string;
  readonly name: string | null;
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
  const templates = loadTemplates('confirm');
  const subject = headerText(`Confirm your subscription to ${input.site.name}`);
  const name = input.name?.trim();
  const view = {
    title: subject,
    preheader: `One click to start receiving ${input.site.name}.`,
    siteName: input.site.name,
    longDate: '',
    greeting: name ? `Hello ${name},` : 'Hello,',
    confirmUrl: input.confirmUrl,
    reason: `You are receiving this because this address was entered on the sign-up form at ${input.publicUrl}.`,
    unsubscribable: false,
    postalAddress: input.site.postalAddress,
  };
  const html = await mjmlToHtml(templates.mjml(view), 'confirm.mjml');
  return { subject, html, text: templates.text(view).replace(/\n{3,}/g, '\n\n').trim() + '\n' };
}
