import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminLogin } from '../helpers/admin.js';
import { runDigest } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders } from '../helpers/delivery.js';
import { startTestServer, type TestServer } from '../helpers/http.js';

/**
 * The operator's words, the same on every admin page and in `digest`: deliveries queued or held by
 * a worker are "waiting" (docs/glossary.md), and every instant reads "2026-12-07 05:05 UTC".
 */
const DATE = '2026-12-07';
/** An instant as toISOString writes it: what no operator page or command should show. */
const RAW_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

describe('the words of the admin and the CLI (postgres)', () => {
  let t: TestDatabase;
  let server: TestServer;
  let dataDir: string;
  let cookie: string;
  let editionId: number;
  let readerId: number;

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    dataDir = mkdtempSync(join(tmpdir(), 'digest-words-'));
    server = await startTestServer(t, testConfig());
    cookie = (await adminLogin(server.url)).cookie;
    editionId = (
      await t.db
        .insertInto('editions')
        .values({
          date: DATE,
          slot: '06:00',
          status: 'sending',
          send_at: `${DATE}T06:00:00Z`,
          cutoff_at: `${DATE}T12:00:00Z`,
          started_at: `${DATE}T06:00:00Z`,
          window_start: '2026-12-06T06:00:00Z',
          window_end: `${DATE}T06:00:00Z`,
          subject: 'The morning',
          story_ids: [],
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    // Seven readers: 3 sent, 1 retrying, 2 queued and 1 held by a worker: 3 waiting.
    const readers = await seedReaders(t.db, 7);
    readerId = readers[0]!;
    const states = ['sent', 'sent', 'sent', 'retry', 'queued', 'queued', 'sending'] as const;
    await t.db
      .insertInto('deliveries')
      .values(
        readers.map((id, i) => ({
          edition_id: editionId,
          subscriber_id: id,
          status: states[i]!,
          next_attempt_at: states[i] === 'retry' ? `${DATE}T06:30:00Z` : `${DATE}T06:00:00Z`,
          lease_until: states[i] === 'sending' ? `${DATE}T06:10:00Z` : null,
        })),
      )
      .execute();
    await t.db
      .insertInto('stories')
      .values({ url: 'https://news.example.com/a', kind: 'story', title: 'A story', published_at: `${DATE}T05:05:00Z`, votes: 3 })
      .execute();
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const page = async (path: string) => {
    const res = await fetch(server.url + path, { headers: { cookie } });
    expect(res.status, path).toBe(200);
    return res.text();
  };

  it('calls the queued and claimed deliveries "waiting" on the dashboard, the editions list and the edition page', async () => {
    for (const path of ['/admin', '/admin/editions']) {
      const html = await page(path);
      expect(html, path).toContain('<th class="n">Waiting</th>');
      expect(html, path).toMatch(/<td class="n" data-label="Waiting">3<\/td>/);
      expect(html, path).not.toMatch(/Queued|in flight/i);
    }
    const edition = await page(`/admin/editions/${editionId}`);
    expect(edition).toContain('<b>3</b>waiting</div>');
    expect(edition).toContain('<b>1</b>retrying</div>');
    expect(edition).not.toMatch(/Queued|in flight/i);
  });

  it('writes every instant on the admin pages as "2026-12-07 05:05 UTC"', async () => {
    const stories = await page(`/admin/stories?date=${DATE}`);
    expect(stories).toContain('Candidates published 2026-12-06 06:00 UTC – 2026-12-07 06:00 UTC');
    expect(stories).toContain('2026-12-07 05:05 UTC');
    const dashboard = await page('/admin');
    expect(dashboard).toContain('next 2026-12-07 06:30 UTC');
    expect(dashboard).toMatch(/Oldest lease: delivery \d+, until 2026-12-07 06:10 UTC\./);
    const edition = await page(`/admin/editions/${editionId}`);
    expect(edition).toContain('send time 2026-12-07 06:00 UTC · cutoff 2026-12-07 12:00 UTC');
    for (const [path, html] of [
      ['stories', stories],
      ['dashboard', dashboard],
      ['edition', edition],
      ['editions', await page('/admin/editions')],
      ['subscribers', await page('/admin/subscribers')],
      ['subscriber', await page(`/admin/subscribers/${readerId}`)],
    ] as const) {
      expect(html.match(RAW_INSTANT)?.[0], path).toBeUndefined();
    }
  });

  it('digest top and digest status write instants the same way', async () => {
    const env = { DATABASE_URL: t.url!, SECRET: 'test-secret-0123456789abcdef', DATA_DIR: dataDir };
    const top = await runDigest(['top', '--date', DATE], env);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toContain('stories published 2026-12-06 06:00 UTC – 2026-12-07 06:00 UTC');
    expect(top.stdout).toMatch(/ 2026-12-07 05:05 UTC {2}A story\n {57}https:\/\/news\.example\.com\/a/);
    expect(top.stdout).not.toMatch(RAW_INSTANT);

    const status = await runDigest(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('retry queue: 1, next due 2026-12-07 06:30 UTC');
    expect(status.stdout).toMatch(/oldest lease: delivery \d+, until 2026-12-07 06:10 UTC/);
    expect(status.stdout).not.toMatch(RAW_INSTANT);
  });
});
