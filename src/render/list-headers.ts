import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import { ComposeError } from './compose-error.js';

/**
 * The headers the large newsletter senders put on bulk mail, for one edition. They are the same
 * for every reader of an edition, so the message template writes them once.
 *
 * - List-Id (RFC 2919): what filters and clients group the digest by (LIST_ID).
 * - Feedback-ID (Gmail's feedback loop): `edition:kind:digest:install`, Gmail's
 *   `CampaignID:CustomerID:MailTypeID:SenderId` order, so Postmaster Tools reports complaints per
 *   edition and kind. Not unique per message (Gmail ignores ids that are).
 * - Auto-Submitted: auto-generated (RFC 3834): vacation responders and ticket systems do not answer.
 * - Precedence: bulk. Not a standard (RFC 2076 discourages it) and Gmail, Outlook and Yahoo document
 *   no use of it, but the vacation programs that predate RFC 3834 (vacation(1), procmail recipes,
 *   older Exchange and Sieve set-ups) check it and nothing else; without it their replies land on the
 *   bounce address. No receiver documents it as a negative signal, and SpamAssassin scores it 0.
 * - X-Auto-Response-Suppress: OOF, AutoReply: the header Exchange and Outlook honour instead.
 * List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 one-click) are per reader: composeMessage().
 * Not set: List-Help, List-Archive and X-Mailer (no receiver uses them for bulk mail), and
 * Reply-To (the From is the address readers answer).
 */
export interface BulkMail {
  readonly listId: { readonly name: string; readonly id: string };
  /** `a:b:c:SenderId`, see feedbackId(). */
  readonly feedbackId: string;
}

export type PreparedHeader = { prepared: true; foldLines?: boolean; value: string };

const FEEDBACK_FIELD = /^[A-Za-z0-9._-]{1,64}$/;

/** Gmail's Feedback-ID for one edition: `{edition}:{kind}:digest:{senderId}` (no field may hold a colon). */
export function feedbackId(editionId: number, kind: string, senderId: string): string {
  const fields = [String(editionId), kind, 'digest', senderId];
  if (!fields.every((f) => FEEDBACK_FIELD.test(f)))
    throw new ComposeError(`Feedback-ID fields ${JSON.stringify(fields)} must be letters, digits, dots, _ or -`);
  return fields.join(':');
}

/**
 * The List-Id value: the name as a phrase (quoted when it holds specials, an encoded word when it is
 * not ASCII), then `<id>`. Written prepared: MailComposer would otherwise encode `<id>` into the
 * encoded word of a non-ASCII name, where no filter could find it.
 */
export function listIdValue(listId: BulkMail['listId']): string {
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/.test(listId.id)) {
    throw new ComposeError(`List-Id "${listId.id}" is not label.example.com`);
  }
  const name = listId.name
    .replace(/[\r\n]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!name) return `<${listId.id}>`;
  const phrase = /[^\x20-\x7e]/.test(name)
    ? mimeFuncs.encodeWord(name, 'Q', 52)
    : /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/.test(name)
      ? name
      : `"${name.replace(/["\\]/g, '\\$&')}"`;
  return `${phrase} <${listId.id}>`;
}

/** The header object MailComposer takes for these headers (keys in the order they are written). */
export function bulkHeaders(list: BulkMail): Record<string, PreparedHeader | string> {
  if (!/^[^\r\n]*$/.test(list.feedbackId)) throw new ComposeError('Feedback-ID must be one line');
  return {
    'List-Id': { prepared: true, foldLines: true, value: listIdValue(list.listId) },
    'Feedback-ID': list.feedbackId,
    'Auto-Submitted': 'auto-generated',
    Precedence: 'bulk',
    'X-Auto-Response-Suppress': 'OOF, AutoReply',
  };
}
