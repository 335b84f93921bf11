import type { Logger } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { markBounced, suppress } from '../../subscribers/index.js';
import type { BounceKind } from './parse-dsn.js';

export interface BounceInput {
  readonly kind: BounceKind;
  /** From the VERP address (or the webhook); wins over `email` when both are given. */
  readonly deliveryId?: number | undefined;
  readonly email?: string | undefined;
  readonly reason: string;
}

export type BounceResult =
  | { readonly recorded: true; readonly subscriberId: number }
  | { readonly recorded: false; readonly why: 'soft' | 'unknown' };

/**
 * A bounce or complaint that arrives after the send (a DSN to the VERP address, a provider's webhook):
 * a hard bounce or complaint suppresses the address and marks the reader `bounced`, the same as a 5xx
 * during the send; a soft bounce is only logged (the relay retries on its own). Repeating it is harmless.
 */
export async function recordBounce(db: Db, log: Logger, input: BounceInput): Promise<BounceResult> {
  let found: { subscriberId: number; email: string; editionId: number | null } | undefined;
  if (input.deliveryId !== undefined) {
    const row = await db
      .selectFrom('deliveries as d')
      .innerJoin('subscribers as s', 's.id', 'd.subscriber_id')
      .select(['s.id', 's.email', 'd.edition_id'])
      .where('d.id', '=', input.deliveryId)
      .executeTakeFirst();
    if (row) found = { subscriberId: row.id, email: row.email, editionId: row.edition_id };
  }
  if (!found && input.email) {
    const row = await db.selectFrom('subscribers').select(['id', 'email']).where('email', '=', input.email.trim()).executeTakeFirst();
    if (row) found = { subscriberId: row.id, email: row.email, editionId: null };
  }
  const ids = { delivery: input.deliveryId, subscriber: found?.subscriberId, kind: input.kind };
  if (input.kind === 'soft') {
    log.info({ event: 'bounce.soft', ...ids, reason: input.reason }, 'soft bounce: no action');
    return { recorded: false, why: 'soft' };
  }
  if (!found) {
    // An address we do not know may still be suppressed, so it is never mailed if it signs up.
    if (input.email) await suppress(db, input.email, input.kind === 'complaint' ? 'complained' : 'bounced');
    log.warn({ event: 'bounce.unmatched', ...ids }, 'bounce for no known delivery or reader');
    return { recorded: false, why: 'unknown' };
  }
  await suppress(db, found.email, input.kind === 'complaint' ? 'complained' : 'bounced');
  await markBounced(db, found.subscriberId, {
    editionId: found.editionId ?? undefined,
    reason: input.reason,
    type: input.kind === 'complaint' ? 'complained' : 'bounced',
  });
  log.info({ event: input.kind === 'complaint' ? 'bounce.complaint' : 'bounce.hard', ...ids }, 'address suppressed');
  return { recorded: true, subscriberId: found.subscriberId };
}
