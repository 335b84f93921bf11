import type { Generated, Insertable, Selectable } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from '../db/column-types.js';

/**
 * The stories domain's tables: stories, the operator's pins and exclusions, and click counts.
 * Types only: db/schema.ts composes them into its Database with `import type`, so the database
 * layer never loads a domain module at run time.
 */

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

export type Story = Selectable<StoryTable>;
export type NewStory = Insertable<StoryTable>;
