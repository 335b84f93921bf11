import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { claimDeliveries, deliveryCounts } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { eraseSubscriber } from '../../src/subscribers/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, sendDaily, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

describe.each(ENGINES)('erasing a reader on %s', (engine) => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
    await t?.close();
    t = sink = undefined;
  });

  it("keeps past editions' counts, anonymous, with nothing personal left", async () => {
    t = await createTestDatabase(engine);
    sink = await startSmtpSink();
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 3);
    const { prepared } = await sendDaily(t.db, config, slot.date, { workerOptions: { idleMs: 50 } });
    expect((await deliveryCounts(t.db, prepared.edition.id)).sent).toBe(3);

    await eraseSubscriber(t.db, 'r0001@example.com');
    expect((await deliveryCounts(t.db, prepared.edition.id)).sent).toBe(3);
    const rows = await t.db.selectFrom('deliveries').select(['subscriber_id']).execute();
    expect(rows.filter((r) => r.subscriber_id === null)).toHaveLength(1);
    expect(
      await t.db.selectFrom('subscribers').select('email').where('email', '=', 'r0001@example.com').executeTakeFirst(),
    ).toBeUndefined();
  });

  it("skips an erased reader's waiting delivery, and one whose claim ran out, so the edition can finish", async () => {
    t = await createTestDatabase(engine);
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: 'smtp://127.0.0.1:9', DIGEST_CRON: slot.cron });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 2);
    const spec = dailySpecs(config, slot.date)[0]!;
    const prepared = await prepareEdition({ db: t.db, config, log: silentLogger }, spec, { now: new Date() });
    // r0000's delivery is claimed (then its worker dies); r0001's waits in the queue.
    const first = await claimDeliveries(t.db, [prepared.edition.id], 1, 1);
    expect(first.claimed).toHaveLength(1);
    await eraseSubscriber(t.db, first.claimed[0]!.email);
    await eraseSubscriber(t.db, first.claimed[0]!.email === 'r0000@example.com' ? 'r0001@example.com' : 'r0000@example.com');
    await t.db
      .updateTable('deliveries')
      .set({ next_attempt_at: new Date(Date.now() - 1000), lease_until: new Date(Date.now() - 1000) })
      .execute();

    const again = await claimDeliveries(t.db, [prepared.edition.id], 10, 30);
    expect(again.claimed).toEqual([]);
    const counts = await deliveryCounts(t.db, prepared.edition.id);
    expect(counts).toMatchObject({ skipped: 2, queued: 0, sending: 0, retry: 0 });
  });
});
