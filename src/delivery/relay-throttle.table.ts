import type { Selectable } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from '../db/column-types.js';

/**
 * The relay_throttles table (migration 070): one row per sending process the relay is throttling
 * now, for the other processes to show (throttle-recorder.ts). Types only: db/schema.ts composes them
 * into its Database with `import type`.
 */
export interface RelayThrottleTable {
  /** The sending process: host, pid and sender (`mail-1:4123:1`). */
  sender: string;
  since: Timestamp;
  /** Messages per second it paces to (null until a second of replies is measured). */
  rate: number | null;
  lowest_rate: number | null;
  /** Messages refused for its rate since `since`. */
  refused: number;
  /** The relay's last throttling reply. */
  reason: string;
  updated_at: DefaultedTimestamp;
}

export type RelayThrottleRow = Selectable<RelayThrottleTable>;
