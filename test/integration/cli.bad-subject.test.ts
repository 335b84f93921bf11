import { afterEach, describe, expect, it } from 'vitest';
import { runDigest } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * A typo in SUBJECT_TEMPLATE used to surface only when the edition's subject was rendered, inside
 * the morning's send. The commands that render now refuse it before they prepare or claim anything.
 */
describe('a bad SUBJECT_TEMPLATE (postgres, real processes)', () => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
    await t?.close();
    t = sink = undefined;
  });

  it('digest send and preview exit 1 with one line naming SUBJECT_TEMPLATE; nothing is prepared or sent; status still reads', async () => {
    t = await createTestDatabase('postgres');
    sink = await startSmtpSink();
    const slot = slotMinutesAgo(5);
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 3);
    const env = {
      DATABASE_URL: t.url!,
      SMTP_URL: sink.url,
      SECRET: 'bad-subject-secret-0123456789',
      DIGEST_CRON: slot.cron,
      SUBJECT_TEMPLATE: '{{headlin}} and more',
    };
    for (const args of [['send'], ['preview', '--date', slot.date]]) {
      const r = await runDigest(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(
        'SUBJECT_TEMPLATE: "headlin" is not a subject variable; use {{headline}}, {{date}}, {{isoDate}}, {{site}}, {{count}}',
      );
    }
    expect(await t.db.selectFrom('editions').selectAll().execute()).toEqual([]);
    expect(sink.messages).toHaveLength(0);

    // A read-only command is not held hostage by a rendering setting.
    const status = await runDigest(['status'], env);
    expect(status.code, status.stderr).toBe(0);

    // Corrected, the same send goes out.
    const fixed = await runDigest(['send'], { ...env, SUBJECT_TEMPLATE: '{{headline}} and more' });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(sink.messages).toHaveLength(3);
  });
});
