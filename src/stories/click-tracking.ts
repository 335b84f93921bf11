import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Db, Story } from '../db/index.js';
import { signFields, signToken, verifyFields, verifyToken, type TokenKeys } from '../subscribers/index.js';

/**
 * Click tracking, privacy first. Off by default: story links are the stories' own URLs and nothing
 * is counted. When on, each story link is PUBLIC_URL/c/<token>, a signed (edition, story) pair that
 * redirects to the story and adds one to that pair's count. Only in `individual` mode does the link
 * also carry the reader (a signed `click` token filled in per reader), and only then is a row written
 * that names them. There is no open-tracking pixel.
 */
/**
 * What renderEdition needs to track an edition's story links: the href of each story (none when
 * tracking is off), and in `individual` mode a random marker where each reader's token will go.
 */
export function clickLinks(config: Config, editionId: number): { linkFor?: (story: Story) => string; readerMarker?: string } {
  if (config.clickTracking === 'off') return {};
  const readerMarker = config.clickTracking === 'individual' ? `rdr${randomBytes(12).toString('hex')}` : undefined;
  const suffix = readerMarker ? `?r=${readerMarker}` : '';
  return {
    linkFor: (story) => `${config.publicUrl}/c/${signFields(config.keys, 'story', [editionId, story.id])}${suffix}`,
    ...(readerMarker ? { readerMarker } : {}),
  };
}

/** The per-reader part of tracked links in `individual` mode. */
export function readerClickToken(keys: TokenKeys, reader: { id: number; token_version: number }, editionId: number): string {
  return signToken(keys, 'click', { subscriberId: reader.id, version: reader.token_version, editionId });
}

export type ClickTarget = { ok: true; editionId: number; storyId: number } | { ok: false };

export function verifyStoryLink(keys: TokenKeys, token: unknown): ClickTarget {
  const v = verifyFields(keys, 'story', token, 2, 2);
  return v.ok ? { ok: true, editionId: v.fields[0]!, storyId: v.fields[1]! } : { ok: false };
}

/**
 * Records one click: the aggregate count always (when tracking is on), the reader only in
 * `individual` mode and only with a valid reader token for the same edition.
 */
export async function recordClick(
  db: Db,
  config: Config,
  target: { editionId: number; storyId: number },
  readerToken: unknown,
): Promise<void> {
  if (config.clickTracking === 'off') return;
  await sql`
    INSERT INTO story_clicks (edition_id, story_id, clicks)
    SELECT ${target.editionId}, ${target.storyId}, 1
     WHERE EXISTS (SELECT 1 FROM editions WHERE id = ${target.editionId})
    ON CONFLICT (edition_id, story_id) DO UPDATE SET clicks = story_clicks.clicks + 1`.execute(db);
  if (config.clickTracking !== 'individual' || typeof readerToken !== 'string') return;
  const reader = verifyToken(config.keys, 'click', readerToken);
  if (!reader.ok || reader.subject.editionId !== target.editionId) return;
  await sql`
    INSERT INTO click_events (edition_id, story_id, subscriber_id)
    SELECT ${target.editionId}, ${target.storyId}, s.id FROM subscribers s
     WHERE s.id = ${reader.subject.subscriberId} AND s.token_version = ${reader.subject.version}
       AND EXISTS (SELECT 1 FROM editions WHERE id = ${target.editionId})`.execute(db);
}

/** Clicks per story over the editions of one date (the admin's stories page). */
export async function clicksForDate(db: Db, date: string): Promise<Map<number, number>> {
  const rows = await sql<{ story_id: number; clicks: number }>`
    SELECT c.story_id, sum(c.clicks)::int AS clicks FROM story_clicks c JOIN editions e ON e.id = c.edition_id
     WHERE e.date = ${date} GROUP BY c.story_id`.execute(db);
  return new Map(rows.rows.map((r) => [Number(r.story_id), Number(r.clicks)]));
}

/** Clicks per story in one edition. */
export async function clicksForEdition(db: Db, editionId: number): Promise<Map<number, number>> {
  const rows = await db.selectFrom('story_clicks').select(['story_id', 'clicks']).where('edition_id', '=', editionId).execute();
  return new Map(rows.map((r) => [r.story_id, r.clicks]));
}
