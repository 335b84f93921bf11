import MailComposer from 'nodemailer/lib/mail-composer';
import { ComposeError } from './compose-error.js';
import { headerText, safeHttpUrl } from './escape.js';
import { bulkHeaders, type BulkMail, type PreparedHeader } from './list-headers.js';

/**
 * The raw MIME of one personalised message, built with nodemailer's MailComposer, for
 * `transport.sendMail({ envelope, raw })`: the caller owns the envelope (and so Return-Path).
 *
 * List-Unsubscribe and List-Unsubscribe-Post are passed `prepared`, so MailComposer writes each on
 * one line as given: folding them (MailComposer folds long headers at 76 columns) breaks DKIM
 * signatures at some receivers and one-click unsubscribe with it (RFC 8058). Their values are
 * checked here instead, since prepared headers are not encoded: no CR/LF, only http(s) and mailto.
 */
export interface ComposeInput {
  readonly from: string;
  readonly to: string | { readonly name: string; readonly address: string };
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** `<id@domain>`: stable per delivery, so a resend after a crash carries the same id. */
  readonly messageId: string;
  readonly date?: Date;
  /** The reader's one-click URL (https://…/u/TOKEN), and optionally a mailto: fallback. */
  readonly listUnsubscribe: { readonly url: string; readonly mailto?: string };
  /** List-Id, Feedback-ID and the other bulk-mail headers (list-headers.ts); the digest always has them. */
  readonly list?: BulkMail;
  /** Any other header: single-line values only. */
  readonly headers?: Readonly<Record<string, string>>;
}

export { ComposeError };

const ONE_LINE = /^[^\r\n]*$/;

export function listUnsubscribeValue(url: string, mailto?: string): string {
  const http = safeHttpUrl(url);
  if (!http || /[<>,\s]/.test(http)) throw new ComposeError(`List-Unsubscribe URL "${url}" is not a plain http(s) URL`);
  const parts = [`<${http}>`];
  if (mailto) {
    if (!/^mailto:[^\s<>,]+$/i.test(mailto)) throw new ComposeError(`List-Unsubscribe mailto "${mailto}" is not a mailto: address`);
    parts.push(`<${mailto}>`);
  }
  return parts.join(', ');
}

export async function composeMessage(input: ComposeInput): Promise<Buffer> {
  if (!/^<[^<>\s@]+@[^<>\s@]+>$/.test(input.messageId)) throw new ComposeError(`Message-ID "${input.messageId}" is not <local@domain>`);
  const headers: Record<string, PreparedHeader | string> = {
    ...(input.list ? bulkHeaders(input.list) : {}),
    'List-Unsubscribe': { prepared: true, value: listUnsubscribeValue(input.listUnsubscribe.url, input.listUnsubscribe.mailto) },
    'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
  };
  for (const [key, value] of Object.entries(input.headers ?? {})) {
    if (!ONE_LINE.test(value) || !/^[A-Za-z0-9-]+$/.test(key)) throw new ComposeError(`header ${key} must be one line`);
    headers[key] = value;
  }
  const composer = new MailComposer({
    from: input.from,
    to: typeof input.to === 'string' ? input.to : { name: input.to.name, address: input.to.address },
    subject: headerText(input.subject),
    date: input.date ?? new Date(),
    messageId: input.messageId,
    text: input.text,
    html: input.html,
    headers,
    // Base64 is safe but a third bigger; quoted-printable keeps the 102 KB HTML budget honest.
    textEncoding: 'quoted-printable',
  });
  return new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
