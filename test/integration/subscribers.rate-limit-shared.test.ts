import { describe, expect, it } from 'vitest';
import { hitRateLimit } from '../../src/subscribers/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES } from '../helpers/database.js';
import { startTestServer } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

describe.each(ENGINES)('rate-limit counts in the database on %s', (engine) => {
  const track = useCleanup();

  it('counts hits in a window, starts over once it has ended, and never stores the key in clear', async () => {
    const t = track(await createTestDatabase(engine));
    expect((await hitRateLimit(t.db, 'ip:203.0.113.7', 60_000)).hits).toBe(1);
    const second = await hitRateLimit(t.db, 'ip:203.0.113.7', 60_000);
    expect(second.hits).toBe(2);
    expect(second.ttlMs).toBeGreaterThan(0);
    expect(second.ttlMs).toBeLessThanOrEqual(60_000);
    expect((await hitRateLimit(t.db, 'addr:reader@example.com', 60_000)).hits).toBe(1);
    // A window that has ended (forced into the past) starts over.
    await t.db
      .updateTable('rate_limits')
      .set({ reset_at: new Date(Date.now() - 1000) })
      .execute();
    expect((await hitRateLimit(t.db, 'ip:203.0.113.7', 60_000)).hits).toBe(1);
    const keys = (await t.db.selectFrom('rate_limits').select('key_hash').execute()).map((r) => r.key_hash).join(' ');
    expect(keys).not.toMatch(/203\.0\.113\.7|reader@example\.com/);
  });
});

describe('sign-up limits across instances (PostgreSQL)', () => {
  const track = useCleanup();

  it('holds one per-IP limit for two servers sharing the database', async () => {
    const t = track(await createTestDatabase('postgres'));
    const sink = track(await startSmtpSink());
    const config = testConfig({ SIGNUP_LIMIT_PER_IP: '3' });
    const a = track(await startTestServer(t, config, { smtpUrl: sink.url }));
    const b = track(await startTestServer(t, config, { smtpUrl: sink.url }));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const server = i % 2 === 0 ? a : b;
      const res = await fetch(`${server.url}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: `shared${i}@example.com` }).toString(),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
