import type { BounceInput } from './record-bounce.js';
import { bareAddress } from '../verp.js';
import { reasonOf, text } from './webhook-outcome.js';

/**
 * What an Amazon SES notification (the Message of an SNS Notification, itself JSON) says happened.
 * Pure. SES's identity notifications name the kind in `notificationType`; event publishing through a
 * configuration set names it in `eventType`; both carry the same `bounce` and `complaint` objects.
 * - Bounce, bounceType Permanent: a hard bounce for each bounced recipient (suppressed);
 * - Bounce, Transient or Undetermined: soft (logged, no action: SES has retried already, or the
 *   mailbox is full or away);
 * - Complaint: a complaint for each complained recipient (suppressed as complained);
 * - anything else (Delivery, Send, Open, …): nothing to record.
 */
export interface SesReading {
  readonly bounces: BounceInput[];
  /** The kinds of notification with nothing to record. */
  readonly skipped: string[];
}

function recipients(list: unknown): { address: string; entry: unknown }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const address = text(entry, 'emailAddress');
    return address ? [{ address: bareAddress(address), entry }] : [];
  });
}

export function readSesNotification(message: unknown): SesReading {
  const kind = text(message, 'notificationType') ?? text(message, 'eventType') ?? 'unknown';
  const body = message as Record<string, unknown>;
  if (kind === 'Bounce') {
    const bounce = body.bounce;
    const type = text(bounce, 'bounceType') ?? 'Undetermined';
    const subType = text(bounce, 'bounceSubType');
    const bounces = recipients((bounce as Record<string, unknown> | undefined)?.bouncedRecipients).map(
      ({ address, entry }): BounceInput => ({
        kind: type === 'Permanent' ? 'hard' : 'soft',
        email: address,
        reason: reasonOf('Amazon SES', `${type}${subType ? `/${subType}` : ''}`, text(entry, 'status'), text(entry, 'diagnosticCode')),
      }),
    );
    return { bounces, skipped: bounces.length === 0 ? ['Bounce without recipients'] : [] };
  }
  if (kind === 'Complaint') {
    const complaint = body.complaint;
    const bounces = recipients((complaint as Record<string, unknown> | undefined)?.complainedRecipients).map(
      ({ address }): BounceInput => ({
        kind: 'complaint',
        email: address,
        reason: reasonOf('Amazon SES', 'complaint', text(complaint, 'complaintFeedbackType')),
      }),
    );
    return { bounces, skipped: bounces.length === 0 ? ['Complaint without recipients'] : [] };
  }
  return { bounces: [], skipped: [kind.slice(0, 40)] };
}
