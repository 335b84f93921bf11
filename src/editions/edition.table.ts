import type { Generated, Selectable } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from '../db/column-types.js';

/**
 * The editions table: one row per edition (date and slot), its state and its rendered content.
 * Types only: db/schema.ts composes them into its Database with `import type`, so the database
 * layer never loads a domain module at run time.
 */

export type EditionStatus = 'planned' | 'rendering' | 'sending' | 'sent' | 'empty' | 'expired' | 'paused' | 'failed';

export type EditionKind = 'daily' | 'hourly' | 'weekly';

export interface EditionTable {
  id: Generated<number>;
  /** Which readers it is for (migration 030): see src/delivery/create-deliveries.ts; the lifecycle: src/editions/edition-state.ts */
  kind: Generated<EditionKind>;
  /** 'YYYY-MM-DD' */
  date: string;
  slot: string;
  status: Generated<EditionStatus>;
  send_at: Timestamp;
  window_start: Timestamp;
  window_end: Timestamp;
  subject: string | null;
  html: string | null;
  text: string | null;
  story_ids: Generated<number[]>;
  error: string | null;
  /** Past this instant nothing more is sent (migration 050): send_at + SEND_CUTOFF_HOURS, or a late send's. */
  cutoff_at: Timestamp;
  /** When it started sending (rendering → sending). */
  started_at: Timestamp | null;
  /** An operator sent it past its cutoff on purpose. */
  sent_late: Generated<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type Edition = Selectable<EditionTable>;
