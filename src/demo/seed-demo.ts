import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { currentDailySpec } from '../editions/index.js';
import { localDate } from '../ranking/index.js';
import { importSubscribers } from '../subscribers/index.js';
import { DEMO_SOURCE, parseStoryBatch, upsertStories } from '../stories/index.js';
import { DEMO_STORIES, DEMO_SUBSCRIBERS } from './demo-stories.js';

export interface DemoSeed {
  readonly stories: number;
  readonly subscribers: number;
  /** The edition date the stories were placed in. */
  readonly date: string;
  /** That edition's slot. */
  readonly slot: string | undefined;
}

const HOUR_MS = 3_600_000;
/** The demo's stories span this long before their latest (hoursAgo in demo-stories.ts, up to 22 h). */
const SPAN_HOURS = 23;

/**
 * Loads the demo day into the edition an operator can send now, at any hour (editions
 * currentDailySpec): the slot just passed while before its cutoff, else the next one. The stories sit
 * inside that edition's window and before now, their spacing squeezed when the window has only
 * begun (at 06:05 the next 06:00 edition's window is five minutes old). Plus a handful of active
 * readers. Idempotent: running it again refreshes the same stories and readers.
 */
export async function seedDemo(db: Db, config: Config, now: Date): Promise<DemoSeed> {
  const spec = currentDailySpec(config, now);
  const end = spec ? new Date(Math.min(now.getTime(), spec.windowEnd.getTime() - 60_000)) : now;
  const start = spec ? spec.windowStart.getTime() + 60_000 : end.getTime() - SPAN_HOURS * HOUR_MS;
  const squeeze = Math.min(1, (end.getTime() - start) / (SPAN_HOURS * HOUR_MS));
  const items = DEMO_STORIES.map((s) => ({
    url: `${config.publicUrl}/demo/stories/${s.slug}`,
    kind: s.kind,
    title: s.title,
    summary: s.summary,
    byline: s.byline,
    section: s.section,
    image_url: s.image ? `${config.publicUrl}/demo/images/${s.image}.png` : undefined,
    published_at: new Date(end.getTime() - s.hoursAgo * HOUR_MS * squeeze).toISOString(),
    votes: s.votes,
    comments: s.comments,
  }));
  const batch = parseStoryBatch(items, { source: DEMO_SOURCE });
  if (batch.problems.length > 0) throw new Error(`demo stories are invalid: ${batch.problems.map((p) => p.message).join('; ')}`);
  await upsertStories(db, batch.items);
  const csv = ['email,name,timezone', ...DEMO_SUBSCRIBERS.map((s) => `${s.email},"${s.name}",${s.timezone ?? ''}`)].join('\n');
  const imported = await importSubscribers(db, csv);
  return {
    stories: batch.items.length,
    subscribers: DEMO_SUBSCRIBERS.length - imported.problems.length,
    date: spec?.date ?? localDate(now, config.digest.timeZone),
    slot: spec?.slot,
  };
}
