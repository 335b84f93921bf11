import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, sendDaily, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type ReceivedMessage, type SmtpSink, type SmtpSinkOptions } from '../helpers/smtp-sink.js';

/**
 * The headers mailbox providers expect, read off messages as a real SMTP server received them
 * (issue 13): List-Id, Feedback-ID, Auto-Submitted, one-click List-Unsubscribe, and Message-IDs that
 * are stable per delivery and never shared by two installs.
 */
const FAST = { workerOptions: { idleMs: 50 } };

/** The List-Unsubscribe docs/production.md promises, as a pattern (`…` and TOKEN stand for anything). */
function documentedListUnsubscribe(): RegExp {
  const doc = readFileSync(new URL('../../docs/production.md', import.meta.url), 'utf8');
  const promised = /`(List-Unsubscribe: [^`]+)`/.exec(doc)?.[1]?.replace(/\s+/g, ' ');
  if (!promised) throw new Error('docs/production.md no longer shows the List-Unsubscribe header');
  const escaped = promised.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/…|TOKEN/g, '[^>]+');
  return new RegExp(`^${escaped}$`);
}

const header = (m: ReceivedMessage, key: string) =>
  m.headerLines.filter((h) => h.key === key).map((h) => h.line.replace(/\r\n[ \t]+/g, ' '));

describe('digest headers as received', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });

  /** One install: its own database, its own SECRET, the same readers r0000…@example.com. */
  async function install(secret: string, sinkOptions: SmtpSinkOptions = {}, env: Record<string, string> = {}) {
    const t: TestDatabase = await createTestDatabase(SERVICE_ENGINE);
    open.push(t);
    const sink: SmtpSink = await startSmtpSink(sinkOptions);
    open.push(sink);
    const slot = slotMinutesAgo(5);
    const config = testConfig({
      SECRET: secret,
      SMTP_URL: sink.url,
      DIGEST_CRON: slot.cron,
      RETRY_BASE_SECONDS: '0',
      PUBLIC_URL: 'https://digest.example.com',
      SITE_NAME: 'The Morning Post',
      MAIL_FROM: 'The Morning Post <digest@news.example.com>',
      ...env,
    });
    await seedStories(t.db, slot.sendAt);
    return { db: t.db, config, date: slot.date, sink };
  }

  it('carries List-Id, Feedback-ID, Auto-Submitted, Precedence and one-click unsubscribe, and a Message-ID of its own per delivery', async () => {
    const { db, config, date, sink } = await install('first-install-secret-0123456789');
    await seedReaders(db, 5);
    const { prepared } = await sendDaily(db, config, date, FAST);
    expect(sink.messages).toHaveLength(5);
    for (const m of sink.messages) {
      expect(header(m, 'list-id')).toEqual(['List-ID: The Morning Post <digest.digest.example.com>']);
      expect(header(m, 'feedback-id')).toEqual([`Feedback-ID: ${prepared.edition.id}:daily:digest:${config.installId}`]);
      expect(header(m, 'auto-submitted')).toEqual(['Auto-Submitted: auto-generated']);
      expect(header(m, 'precedence')).toEqual(['Precedence: bulk']);
      expect(header(m, 'list-unsubscribe')[0]).toMatch(/^List-Unsubscribe: <https:\/\/digest\.example\.com\/u\/[^>]+>$/);
      // What the deliverability checklist tells operators to expect is what a reader's mail carries.
      expect(header(m, 'list-unsubscribe')[0]).toMatch(documentedListUnsubscribe());
      expect(header(m, 'list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
      expect(m.parsed.messageId).toMatch(
        new RegExp(`^<digest\\.${prepared.edition.id}\\.\\d+\\.${config.installId}@news\\.example\\.com>$`),
      );
    }
    expect(new Set(sink.messages.map((m) => m.parsed.messageId)).size).toBe(5);
    // What the database records as sent is what went out.
    const recorded = await db.selectFrom('deliveries').select('message_id').where('edition_id', '=', prepared.edition.id).execute();
    expect(recorded.map((r) => r.message_id).sort()).toEqual(sink.messages.map((m) => m.parsed.messageId).sort());
  });

  it('LIST_ID sets the List-Id', async () => {
    const { db, config, date, sink } = await install(
      'first-install-secret-0123456789',
      {},
      { LIST_ID: 'Früh-Post <morning.news.example.com>' },
    );
    await seedReaders(db, 1);
    await sendDaily(db, config, date, FAST);
    expect(header(sink.messages[0]!, 'list-id')).toEqual(['List-ID: =?UTF-8?Q?Fr=C3=BCh-Post?= <morning.news.example.com>']);
  });

  it('gives the same reader different Message-IDs from two installs (two SECRETs), though edition and delivery ids are the same', async () => {
    const a = await install('first-install-secret-0123456789');
    const b = await install('second-install-secret-987654321');
    await seedReaders(a.db, 1);
    await seedReaders(b.db, 1);
    const ea = await sendDaily(a.db, a.config, a.date, FAST);
    const eb = await sendDaily(b.db, b.config, b.date, FAST);
    expect(ea.prepared.edition.id).toBe(eb.prepared.edition.id);
    const [ma, mb] = [a.sink.messages[0]!, b.sink.messages[0]!];
    expect(ma.to).toEqual(mb.to);
    expect(ma.parsed.messageId).toBeTruthy();
    expect(ma.parsed.messageId).not.toBe(mb.parsed.messageId);
    expect(a.config.installId).not.toBe(b.config.installId);
  });

  it('resends a message whose fate is unknown with the same Message-ID', async () => {
    // The relay keeps the first copy and drops the connection before its 250: the sender cannot know
    // it arrived, resends once, and the reader's client can fold the two by their common id.
    const { db, config, date, sink } = await install('first-install-secret-0123456789', {
      onData: (_m, n) => (n === 1 ? 'keep-and-drop' : undefined),
    });
    await seedReaders(db, 1);
    await sendDaily(db, config, date, FAST);
    expect(sink.messages).toHaveLength(2);
    expect(sink.messages[0]!.parsed.messageId).toBe(sink.messages[1]!.parsed.messageId);
    expect(sink.messages[0]!.to).toEqual(sink.messages[1]!.to);
  });
});
