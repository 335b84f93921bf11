import { sql } from 'kysely';
import type { Db } from '../../src/db/index.js';

/**
 * A database as release 0.1.0 left it (migrations 001-043), written in raw SQL for that schema
 * only: the columns later migrations add do not exist yet. An edition is being sent at the moment of
 * the upgrade, one was sent yesterday, and every table holds rows.
 */

/** The SECRET the links below were signed with (on the embedded engine, DATA_DIR/secret holds it). */
export const UPGRADE_SECRET = '6d1c0a5e7f3b29d84c0e91a2b7f6d3c58e4a1f0b9c2d7e6a5b4c3d2e1f0a9b8c';

/**
 * Links exactly as release 0.1.0 signed them into emails (its src/subscribers/tokens.ts with
 * UPGRADE_SECRET): literals, so they still say what an old email holds if the signing code changes.
 */
export const LINKS_FROM_010 = {
  /** The unsubscribe link in Ada's copy of edition 2 (the one being sent). */
  adaUnsubscribe: 'unsubscribe.YTV8M_.1-0-2.jx-gpmHvQACeARGn4LJc1Q',
  adaPreferences: 'preferences.YTV8M_.1-0-2.YiOSSw-zNHHRTpbvE0H8YQ',
  /** From a "manage my subscription" mail of Ben's current subscription (token_version 2). */
  benUnsubscribe: 'unsubscribe.YTV8M_.2-2.TCtbF6qBC5I9w-kANeF3OA',
  /** From Ben's earlier subscription (token_version 1): inert before the upgrade, inert after. */
  benEarlierUnsubscribe: 'unsubscribe.YTV8M_.2-1-1.E6cwyGzF7ocZoTx98znRmg',
  cyPreferences: 'preferences.YTV8M_.3-0-2.XB9YeiclGRS2G9dtT73X5Q',
  /** Dee's confirmation link (pending). */
  deeConfirm: 'confirm.YTV8M_.4-0.N0zyE02_tFgr5Em70XXneQ',
  /** Eve unsubscribed from edition 1: her link still opens the page, which says so. */
  eveUnsubscribe: 'unsubscribe.YTV8M_.5-0-1.6Lj9L_NVdoxyESZIlPh48w',
} as const;

export const SENT_EDITION = 1;
export const SENDING_EDITION = 2;

/** Readers by what the upgrade must do for them (subscriber ids). */
export const READERS = {
  ada: 1,
  ben: 2,
  /** Stories only: the worker renders edition 2 again for her section choice, from 0.1.0's row. */
  cy: 3,
  dee: 4,
  eve: 5,
  fay: 6,
  /** Edition 2 claimed by a worker still finishing its last messages when the upgrade starts. */
  gus: 7,
  /** Edition 2 claimed by a worker killed before the upgrade: its lease runs out by itself. */
  hal: 8,
  /** Edition 2 in retry after a 451. */
  ivy: 9,
  /** Edition 2 already sent before the upgrade. */
  jo: 10,
  kim: 11,
  /** Unsubscribed during the send: her edition 2 delivery is skipped. */
  lee: 12,
} as const;
export const IMPORTED = Array.from({ length: 30 }, (_, i) => 101 + i);

/** Who must get exactly one copy of edition 2 once the upgrade is done; everyone else none. */
export const EDITION_2_RECIPIENTS = [READERS.ada, READERS.ben, READERS.cy, READERS.gus, READERS.hal, READERS.ivy, ...IMPORTED];

const greeting = '<p>%%greeting%%</p>';
const footer = '<p><a href="%%unsubscribe_url%%">Unsubscribe</a> · <a href="%%preferences_url%%">Preferences</a></p>';
const html = (lead: string) => `<!doctype html><html><body>${greeting}<h1>${lead}</h1>${footer}</body></html>`;
const text = (lead: string) => `%%greeting%%\n\n${lead}\n\nUnsubscribe: %%unsubscribe_url%%\nPreferences: %%preferences_url%%\n`;

/**
 * Fills a 0.1.0 database. `heldLeaseSeconds`: how long the claim on Gus's delivery stays with the
 * worker that made it (a long one on PostgreSQL, where the test itself is that worker and finishes
 * it during the migration; short on the embedded engine, whose one process was stopped for the upgrade).
 */
export async function fillRelease010(db: Db, options: { heldLeaseSeconds: number }): Promise<void> {
  const held = Math.round(options.heldLeaseSeconds);
  await sql
    .raw(`
INSERT INTO stories (id, url, kind, title, summary, byline, section, image_url, published_at, votes, comments, source, created_at, modified_at) VALUES
  (1, 'https://news.example.com/rust-2', 'story', 'Rust 2.0 released', 'The compiler, rewritten.', 'Ann', 'tech', NULL,
   now() - interval '3 hours', 120, 40, 'api', now() - interval '3 hours', now() - interval '3 hours'),
  (2, 'https://news.example.com/zoo', 'story', 'A quiet day at the zoo', 'Nothing happened.', NULL, NULL, 'https://img.example.com/zoo.jpg',
   now() - interval '5 hours', 30, 2, 'https://feeds.example.com/news.rss', now() - interval '5 hours', now() - interval '5 hours'),
  -- Imported from a file by path: migration 060 names this source 'file' (documented).
  (3, 'https://blog.example.com/migrations', 'blog', 'On writing migrations', 'Append only.', 'Bo', NULL, NULL,
   now() - interval '4 hours', 5, 1, '/srv/import/stories.json', now() - interval '4 hours', now() - interval '4 hours'),
  (4, 'https://news.example.com/yesterday', 'story', 'Yesterday''s news', '', NULL, NULL, NULL,
   now() - interval '27 hours', 50, 9, 'demo', now() - interval '27 hours', now() - interval '27 hours');
SELECT setval('stories_id_seq', 4);

INSERT INTO editions (id, date, slot, status, send_at, window_start, window_end, subject, html, text, story_ids, error, kind, created_at, updated_at) VALUES
  (1, (now() - interval '1 day')::date, '06:00', 'sent', now() - interval '1 day', now() - interval '2 days', now() - interval '1 day',
   'Daily Digest: Yesterday''s news', $h$${html("Yesterday's news")}$h$, $t$${text("Yesterday's news")}$t$, '{4}', NULL, 'daily',
   now() - interval '1 day 5 minutes', now() - interval '23 hours'),
  (2, now()::date, '06:00', 'sending', now() - interval '10 minutes', now() - interval '1 day 10 minutes', now() - interval '10 minutes',
   'Daily Digest: Rust 2.0 released', $h$${html('Rust 2.0 released')}$h$, $t$${text('Rust 2.0 released')}$t$, '{1,2,3}', NULL, 'daily',
   now() - interval '12 minutes', now() - interval '10 minutes'),
  (3, (now() - interval '2 days')::date, '06:00', 'empty', now() - interval '2 days', now() - interval '3 days', now() - interval '2 days',
   NULL, NULL, NULL, '{}', NULL, 'daily', now() - interval '2 days', now() - interval '2 days'),
  (4, (now() + interval '1 day')::date, '06:00', 'planned', now() + interval '1 day', now(), now() + interval '1 day',
   NULL, NULL, NULL, '{}', NULL, 'daily', now(), now());
SELECT setval('editions_id_seq', 4);

INSERT INTO subscribers (id, email, name, status, timezone, send_hour, frequency, weekday, sections, token_version,
                         confirmation_sent_at, confirmed_at, unsubscribed_at, manage_sent_at, created_at, updated_at) VALUES
  (1, 'ada@example.com', 'Ada', 'active', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '40 days', now() - interval '40 days', NULL, NULL, now() - interval '40 days', now() - interval '40 days'),
  -- Signed up three times: token_version 2, so links of the earlier subscriptions are inert.
  (2, 'ben@example.com', 'Ben', 'active', NULL, NULL, 'daily', NULL, '{stories,blogs}', 2,
   now() - interval '9 days', now() - interval '9 days', NULL, now() - interval '2 days', now() - interval '90 days', now() - interval '2 days'),
  (3, 'cy@example.com', 'Zoë Cy', 'active', 'Europe/Paris', NULL, 'daily', NULL, '{stories}', 0,
   now() - interval '20 days', now() - interval '20 days', NULL, NULL, now() - interval '20 days', now() - interval '5 days'),
  (4, 'dee@example.com', NULL, 'pending', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '1 hour', NULL, NULL, NULL, now() - interval '1 hour', now() - interval '1 hour'),
  (5, 'eve@example.com', 'Eve', 'unsubscribed', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '30 days', now() - interval '30 days', now() - interval '20 hours', NULL, now() - interval '30 days', now() - interval '20 hours'),
  (6, 'fay@example.com', 'Fay', 'bounced', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '30 days', now() - interval '30 days', NULL, NULL, now() - interval '30 days', now() - interval '1 day'),
  (7, 'gus@example.com', 'Gus', 'active', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '15 days', now() - interval '15 days', NULL, NULL, now() - interval '15 days', now() - interval '15 days'),
  (8, 'hal@example.com', 'Hal', 'active', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '15 days', now() - interval '15 days', NULL, NULL, now() - interval '15 days', now() - interval '15 days'),
  (9, 'ivy@example.com', 'Ivy', 'active', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '15 days', now() - interval '15 days', NULL, NULL, now() - interval '15 days', now() - interval '15 days'),
  (10, 'jo@example.com', 'Jo', 'active', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '15 days', now() - interval '15 days', NULL, NULL, now() - interval '15 days', now() - interval '15 days'),
  (11, 'kim@example.com', 'Kim', 'active', 'Asia/Tokyo', 7, 'weekly', 1, '{blogs}', 0,
   now() - interval '15 days', now() - interval '15 days', NULL, NULL, now() - interval '15 days', now() - interval '3 days'),
  (12, 'lee@example.com', 'Lee', 'unsubscribed', NULL, NULL, 'daily', NULL, '{stories,blogs}', 0,
   now() - interval '15 days', now() - interval '15 days', now() - interval '2 minutes', NULL, now() - interval '15 days', now() - interval '2 minutes');
INSERT INTO subscribers (id, email, name, status, confirmed_at, created_at, updated_at)
  SELECT n, 'reader' || n || '@example.com', 'Reader ' || n, 'active', now() - interval '10 days', now() - interval '10 days', now() - interval '10 days'
    FROM generate_series(101, 130) AS n;
SELECT setval('subscribers_id_seq', 200);

-- Edition 1, sent yesterday: 0.1.0's Message-IDs (<digest.EDITION.DELIVERY@domain>); Fay's bounced
-- (5xx); one reader erased since (042 kept the row, anonymous).
INSERT INTO deliveries (id, edition_id, subscriber_id, status, attempts, next_attempt_at, lease_until, message_id, error, sent_at, uncertain)
  SELECT 1000 + s.id, 1, s.id, 'sent', 1, now() - interval '1 day', NULL, '<digest.1.' || (1000 + s.id) || '@example.com>', NULL,
         now() - interval '1 day' + interval '1 minute', 0
    FROM subscribers s WHERE s.id IN (1, 2, 3, 5, 7, 8, 10, 12) OR s.id BETWEEN 101 AND 130;
INSERT INTO deliveries (id, edition_id, subscriber_id, status, attempts, next_attempt_at, lease_until, message_id, error, sent_at, uncertain) VALUES
  (1006, 1, 6, 'failed', 1, now() - interval '1 day', NULL, '<digest.1.1006@example.com>', '550 5.1.1 <fay@example.com>: user unknown', NULL, 0),
  (1009, 1, 9, 'sent', 2, now() - interval '1 day', NULL, '<digest.1.1009@example.com>', NULL, now() - interval '1 day' + interval '3 minutes', 1),
  (1999, 1, NULL, 'sent', 1, now() - interval '1 day', NULL, '<digest.1.1999@example.com>', NULL, now() - interval '1 day' + interval '1 minute', 0);

-- Edition 2, being sent at the moment of the upgrade.
INSERT INTO deliveries (id, edition_id, subscriber_id, status, attempts, next_attempt_at)
  SELECT 2000 + s.id, 2, s.id, 'queued', 0, now() - interval '10 minutes'
    FROM subscribers s WHERE s.id IN (1, 2, 3) OR s.id BETWEEN 101 AND 130;
INSERT INTO deliveries (id, edition_id, subscriber_id, status, attempts, next_attempt_at, lease_until, message_id, error, sent_at, uncertain) VALUES
  (2007, 2, 7, 'sending', 1, now() + interval '${held} seconds', now() + interval '${held} seconds', NULL, NULL, NULL, 0),
  (2008, 2, 8, 'sending', 1, now() + interval '3 seconds', now() + interval '3 seconds', NULL, NULL, NULL, 0),
  (2009, 2, 9, 'retry', 1, now() - interval '1 minute', NULL, NULL, '451 4.7.1 greylisted, try again later', NULL, 0),
  (2010, 2, 10, 'sent', 1, now() - interval '9 minutes', NULL, '<digest.2.2010@example.com>', NULL, now() - interval '9 minutes', 0),
  (2012, 2, 12, 'skipped', 0, now() - interval '10 minutes', NULL, NULL, 'unsubscribed', NULL, 0);
SELECT setval('deliveries_id_seq', 5000);

INSERT INTO subscriber_events (subscriber_id, type, edition_id, reason, at) VALUES
  (1, 'subscribed', NULL, NULL, now() - interval '40 days'),
  (1, 'confirmed', NULL, NULL, now() - interval '40 days'),
  (2, 'subscribed', NULL, NULL, now() - interval '90 days'),
  (2, 'unsubscribed', NULL, NULL, now() - interval '60 days'),
  (2, 'subscribed', NULL, 'again after unsubscribed', now() - interval '30 days'),
  (2, 'unsubscribed', NULL, NULL, now() - interval '20 days'),
  (2, 'subscribed', NULL, 'again after unsubscribed', now() - interval '9 days'),
  (2, 'confirmed', NULL, NULL, now() - interval '9 days'),
  (4, 'subscribed', NULL, NULL, now() - interval '1 hour'),
  (5, 'unsubscribed', 1, 'too many emails', now() - interval '20 hours'),
  (6, 'bounced', 1, '550 5.1.1 user unknown', now() - interval '1 day'),
  (11, 'preferences', NULL, 'weekly blogs', now() - interval '3 days'),
  (12, 'unsubscribed', 2, NULL, now() - interval '2 minutes'),
  (NULL, 'erased', NULL, NULL, now() - interval '3 days');
INSERT INTO subscriber_events (subscriber_id, type, reason, at)
  SELECT n, 'imported', 'csv', now() - interval '10 days' FROM generate_series(101, 130) AS n;

INSERT INTO suppressions (email_hash, reason, created_at) VALUES
  (encode(sha256(convert_to('fay@example.com', 'UTF8')), 'hex'), 'bounced', now() - interval '1 day'),
  (encode(sha256(convert_to('gone@example.com', 'UTF8')), 'hex'), 'erased', now() - interval '3 days');

INSERT INTO rate_limits (key_hash, hits, reset_at) VALUES
  (encode(sha256(convert_to('ip:203.0.113.7', 'UTF8')), 'hex'), 3, now() + interval '10 minutes'),
  (encode(sha256(convert_to('email:dee@example.com', 'UTF8')), 'hex'), 1, now() - interval '5 minutes');

INSERT INTO story_overrides (edition_date, story_id, action, created_at) VALUES
  (now()::date, 1, 'pin', now() - interval '1 hour'),
  (now()::date, 4, 'exclude', now() - interval '1 hour');
INSERT INTO story_clicks (edition_id, story_id, clicks) VALUES (1, 4, 17);
INSERT INTO click_events (edition_id, story_id, subscriber_id, at) VALUES
  (1, 4, 1, now() - interval '20 hours'),
  (1, 4, 101, now() - interval '19 hours');
`)
    .execute(db);
}

/** Every table 0.1.0 has, with the key its rows are compared in. */
export const TABLES_010 = {
  stories: 'id',
  subscribers: 'id',
  editions: 'id',
  subscriber_events: 'id',
  deliveries: 'id',
  suppressions: 'email_hash',
  rate_limits: 'key_hash',
  story_overrides: 'edition_date, story_id',
  story_clicks: 'edition_id, story_id',
  click_events: 'id',
} as const;
export type Table010 = keyof typeof TABLES_010;

export type Snapshot = Record<Table010, Record<string, unknown>[]>;

/** Every row of every 0.1.0 table, as JSON, in key order. */
export async function snapshot(db: Db): Promise<Snapshot> {
  const out = {} as Snapshot;
  for (const [table, key] of Object.entries(TABLES_010) as [Table010, string][]) {
    const r = await sql<{
      row: Record<string, unknown>;
    }>`SELECT to_jsonb(t) AS row FROM ${sql.table(table)} t ORDER BY ${sql.raw(key)}`.execute(db);
    out[table] = r.rows.map((x) => x.row);
  }
  return out;
}

/**
 * `after` seen through the columns `before` had: what a migration may not have changed. Columns
 * added since are left out (their values are checked on their own).
 */
export function asBefore(before: Snapshot, after: Snapshot): Snapshot {
  const out = {} as Snapshot;
  for (const table of Object.keys(TABLES_010) as Table010[]) {
    const columns = Object.keys(before[table][0] ?? {});
    out[table] = after[table].map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
  }
  return out;
}
