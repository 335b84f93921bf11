import type { Generated, Selectable } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from '../db/column-types.js';

/**
 * The deliveries table: one row per edition and reader, the unit of sending (delivery-state.ts).
 * Types only: db/schema.ts composes them into its Database with `import type`, so the database
 * layer never loads a domain module at run time.
 */

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'retry' | 'failed' | 'skipped';

export interface DeliveryTable {
  id: Generated<number>;
  edition_id: number;
  /** NULL once the reader was erased: the row stays for the edition's counts, anonymous. */
  subscriber_id: number | null;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: DefaultedTimestamp;
  lease_until: Timestamp | null;
  message_id: string | null;
  error: string | null;
  sent_at: Timestamp | null;
  /** Times the relay's answer to the whole message was lost (migration 030). */
  uncertain: Generated<number>;
}

export type Delivery = Selectable<DeliveryTable>;
