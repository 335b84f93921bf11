import type { Generated, Selectable, Updateable } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from '../db/column-types.js';

/**
 * The subscribers domain's tables: readers, their history, the suppression list and rate limits.
 * Types only: db/schema.ts composes them into its Database with `import type`, so the database
 * layer never loads a domain module at run time.
 */

export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced';
export type Frequency = 'daily' | 'weekly';
export type DigestSection = 'stories' | 'blogs';

export interface SubscriberTable {
  id: Generated<number>;
  email: string;
  name: string | null;
  status: Generated<SubscriberStatus>;
  timezone: string | null;
  send_hour: number | null;
  frequency: Generated<Frequency>;
  weekday: number | null;
  sections: Generated<DigestSection[]>;
  token_version: Generated<number>;
  confirmation_sent_at: Timestamp | null;
  /** Last "manage my subscription" mail (migration 010); throttles it to one an hour. */
  manage_sent_at: Generated<Date | null>;
  confirmed_at: Timestamp | null;
  unsubscribed_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type SubscriberEventType =
  | 'subscribed'
  | 'confirmed'
  | 'unsubscribed'
  | 'resubscribed'
  | 'bounced'
  | 'complained'
  | 'erased'
  | 'preferences'
  | 'imported';

export interface SubscriberEventTable {
  id: Generated<number>;
  subscriber_id: number | null;
  type: SubscriberEventType;
  edition_id: number | null;
  reason: string | null;
  at: DefaultedTimestamp;
}

export interface SuppressionTable {
  email_hash: string;
  reason: string;
  created_at: DefaultedTimestamp;
}

export interface RateLimitTable {
  key_hash: string;
  hits: number;
  reset_at: Timestamp;
}

export type Subscriber = Selectable<SubscriberTable>;
export type SubscriberUpdate = Updateable<SubscriberTable>;
