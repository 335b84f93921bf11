import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * The correctness half of bench/load.ts, small enough for every `npm test`: a burst of 200
 * concurrent sign-ups with distinct and repeated addresses. No timing is asserted; only that nothing
 * answers 5xx, no address is stored twice, and the per-address limit answers 429.
 */
describe.each(ENGINES)('a burst of 200 concurrent sign-ups on %s', (engine) => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  let sink: SmtpSink | undefined;
  const track = useCleanup();

  it('answers 200 or 429, never 5xx, stores each address once, and rate-limits the repeated ones', async () => {
    t = track(await createTestDatabase(engine, { poolSize: 10 }));
    sink = track(await startSmtpSink());
    // Per-IP limit lifted (all requests come from 127.0.0.1); per-address limit at its default, 5.
    server = track(
      await startTestServer(t, testConfig({ PUBLIC_URL: 'http://digest.test', SIGNUP_LIMIT_PER_IP: '100000' }), { smtpUrl: sink.url }),
    );
    // 120 distinct addresses, and 80 requests over 4 repeated addresses in varying case (20 each).
    const emails = Array.from({ length: 200 }, (_, i) =>
      i < 120 ? `burst${i}@example.com` : i % 2 ? `Repeat${i % 4}@Example.com` : `repeat${i % 4}@example.com`,
    );
    const statuses = await Promise.all(
      emails.map(async (email) => {
        const r = await fetch(`${server!.url}/subscribe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, name: 'Burst' }),
          signal: AbortSignal.timeout(120_000),
        });
        await r.arrayBuffer();
        return r.status;
      }),
    );
    const count = (s: number) => statuses.filter((x) => x === s).length;
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(count(200) + count(429)).toBe(200);
    // 4 repeated addresses × 5 allowed an hour: the other 60 requests are refused with 429.
    expect(count(429)).toBe(60);

    const rows = await t.db
      .selectFrom('subscribers')
      .select((eb) => [eb.fn.countAll<number>().as('n'), sql<number>`count(distinct lower(email))::int`.as('distinct')])
      .executeTakeFirstOrThrow();
    expect(rows).toEqual({ n: 124, distinct: 124 });
    const events = await t.db
      .selectFrom('subscriber_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('type', '=', 'subscribed')
      .executeTakeFirstOrThrow();
    expect(events.n).toBe(124);
  });
});
