/**
 * The whole database as kysely sees it. Each domain keeps its tables' types beside it (`*.table.ts`);
 * this file only composes them. The imports are type-only on purpose: the database layer never loads
 * a domain module at run time, and the domains reach these types through db/index.ts as before.
 * (The rejected alternative, every table here, kept each table's meaning far from the code that
 * gives it one.)
 */
import type { DeliveryTable } from '../delivery/delivery.table.js';
import type { RelayThrottleTable } from '../delivery/relay-throttle.table.js';
import type { EditionTable } from '../editions/edition.table.js';
import type { ClickEventTable, StoryClickTable, StoryOverrideTable, StoryTable } from '../stories/story.table.js';
import type { RateLimitTable, SubscriberEventTable, SubscriberTable, SuppressionTable } from '../subscribers/subscriber.table.js';

export type { Delivery, DeliveryStatus, DeliveryTable } from '../delivery/delivery.table.js';
export type { Edition, EditionKind, EditionStatus, EditionTable } from '../editions/edition.table.js';
export type {
  ClickEventTable,
  NewStory,
  Story,
  StoryClickTable,
  StoryKind,
  StoryOverrideAction,
  StoryOverrideTable,
  StoryTable,
} from '../stories/story.table.js';
export type {
  DigestSection,
  Frequency,
  RateLimitTable,
  Subscriber,
  SubscriberEventTable,
  SubscriberEventType,
  SubscriberStatus,
  SubscriberTable,
  SubscriberUpdate,
  SuppressionTable,
} from '../subscribers/subscriber.table.js';

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
  relay_throttles: RelayThrottleTable;
}
