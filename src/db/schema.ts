import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Column types as both engines return them: int8 parsed to number, date kept as 'YYYY-MM-DD'. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type StoryKind = 'story' | 'blog';

export interface StoryTable {
  id: Generated<number>;
  url: string;
  kind: StoryKind;
  title: string;
  summary: Generated<string>;
  byline: string | null;
  section: string | null;
  image_url: string | null;
  published_at: Timestamp;
  updated_at: Timestamp | null;
  votes: Generated<number>;
  comments: Generated<number>;
  /** Who created it and alone may update it: `api`, `file`, `demo` or a feed's URL (src/stories/story-source.ts, migration 060). */
  source: Generated<string>;
  created_at: DefaultedTimestamp;
  modified_at: DefaultedTimestamp;
}

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

export interface SuppressionTable {
  email_hash: string;
  reason: string;
  created_at: DefaultedTimestamp;
}

export type StoryOverrideAction = 'pin' | 'exclude';

export interface StoryOverrideTable {
  /** 'YYYY-MM-DD' */
  edition_date: string;
  story_id: number;
  action: StoryOverrideAction;
  created_at: DefaultedTimestamp;
}

export interface StoryClickTable {
  edition_id: number;
  story_id: number;
  clicks: Generated<number>;
}

export interface ClickEventTable {
  id: Generated<number>;
  edition_id: number;
  story_id: number;
  subscriber_id: number;
  at: DefaultedTimestamp;
}

export interface RateLimitTable {
  key_hash: string;
  hits: number;
  reset_at: Timestamp;
}

export interface Database {
  stories: StoryTable;
  subscribers: SubscriberTable;
  subscriber_events: SubscriberEventTable;
  editions: EditionTable;
  deliveries: DeliveryTable;
  suppressions: SuppressionTable;
  story_overrides: StoryOverrideTable;
  story_clicks: StoryClickTable;
  click_events: ClickEventTable;
  rate_limits: RateLimitTable;
}

export type Story = Selectable<StoryTable>;
export type NewStory = Insertable<StoryTable>;
export type Subscriber = Selectable<SubscriberTable>;
export type SubscriberUpdate = Updateable<SubscriberTable>;
export type Edition = Selectable<EditionTable>;
export type Delivery = Selectable<DeliveryTable>;
