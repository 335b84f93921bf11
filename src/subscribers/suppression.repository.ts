import { createHash } from 'node:crypto';
import type { Db } from '../db/index.js';

/**
 * The suppression list: addresses never to be mailed again (hard bounce, complaint, erasure) unless
 * the reader signs up anew and confirms. Only a SHA-256 of the lowercased address is kept, so an
 * erased reader's address is stored nowhere.
 */
export type SuppressionReason = 'bounced' | 'complained' | 'erased' | (string & {});

/** sha256 hex of the address, lowercased whole (the subscribers.email column is citext too). */
export function emailHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex');
}

/** Adds the address (idempotent; the first reason is kept). */
export async function suppress(db: Db, email: string, reason: SuppressionReason): Promise<void> {
  await db
    .insertInto('suppressions')
    .values({ email_hash: emailHash(email), reason })
    .onConflict((oc) => oc.column('email_hash').doNothing())
    .execute();
}

/** Lifts the suppression: only when the reader confirms a new sign-up. */
export async function unsuppress(db: Db, email: string): Promise<void> {
  await db.deleteFrom('suppressions').where('email_hash', '=', emailHash(email)).execute();
}
