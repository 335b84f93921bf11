import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { editionWindow, localDate } from '../ranking/index.js';
import { importSubscribers } from '../subscribers/index.js';
import { parseStoryBatch, upsertStories } from '../stories/index.js';
import { DEMO_STORIES, DEMO_SUBSCRIBERS } from './demo-stories.js';

export interface DemoSeed {
  readonly stories: number;
  readonly subscribers: number;
  /** The edition date the stories were placed in. */
  readonly date: string;
}

/**
 * Loads the demo day: stories placed inside the window of today's edition (before its send time, or
 * before now when the send time has passed, so "send now" picks them), and a handful of active
 * readers. Idempotent: running it again refreshes the same stories and readers.
 */
export async function seedDemo(db: Db, config: Config, now = new Date()): Promise<DemoSeed> {
  const date = localDate(now, config.digest.timeZone);
  let end = now;
  try {
    const window = editionWindow(date, config.digest.cron, config.digest.timeZone);
    if (window.end < now) end = new Date(window.end.getTime() - 60_000);
  } catch {
    // The schedule does not send today: place the stories before now.
  }
  const items = DEMO_STORIES.map((s) => ({
    url: `${config.publicUrl}/demo/stories/${s.slug}`,
    kind: s.kind,
    title: s.title,
    summary: s.summary,
    byline: s.byline,
    section: s.section,
    image_url: s.image ? `${config.publicUrl}/demo/images/${s.image}.png` : undefined,
    published_at: new Date(end.getTime() - s.hoursAgo * 3_600_000).toISOString(),
    votes: s.votes,
    comments: s.comments,
  }));
  const batch = parseStoryBatch(items, { source: 'demo' });
  if (batch.problems.length > 0) throw new Error(`demo stories are invalid: ${batch.problems.map((p) => p.message).join('; ')}`);
  await upsertStories(db, batch.items);
  const csv = ['email,name,timezone', ...DEMO_SUBSCRIBERS.map((s) => `${s.email},"${s.name}",${s.timezone ?? ''}`)].join('\n');
  const imported = await importSubscribers(db, csv);
  return { stories: batch.items.length, subscribers: DEMO_SUBSCRIBERS.length - imported.problems.length, date };
}
