import { describe, expect, it } from 'vitest';
import { currentDailySpec } from '../../src/editions/index.js';
import { seedDemo } from '../../src/demo/seed-demo.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE } from '../helpers/database.js';
import { sendDaily, sendSpec, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { hasSpamAssassin, SPAMASSASSIN, spamScore, type SpamReport } from '../helpers/spamassassin.js';

/**
 * Debian's SpamAssassin (`spamassassin -L -t`) on digests as a real SMTP server received them: the
 * demo edition and a worst case (15 stories with long titles and teasers and an image each, a long
 * non-ASCII reader name). Issue 13 found every digest at 0.7 (HTML_FONT_LOW_CONTRAST: the hidden
 * preheader's white on grey); the bar is below 1.0 with room to spare.
 */
const MISSING = !hasSpamAssassin();
if (MISSING && process.env.CI === 'true') {
  throw new Error(`${SPAMASSASSIN} is missing in CI: .ci/run installs it (apt-get install -y spamassassin)`);
}
if (MISSING) console.warn(`skipping the SpamAssassin test: ${SPAMASSASSIN} not found (apt-get install -y spamassassin)`);

const FAST = { workerOptions: { idleMs: 50 } };
const BASE = {
  RETRY_BASE_SECONDS: '0',
  PUBLIC_URL: 'https://digest.example.com',
  SITE_NAME: 'The Morning Post',
  MAIL_FROM: 'The Morning Post <digest@example.com>',
  POSTAL_ADDRESS: '1 Main Street, Springfield',
};

function explain(r: SpamReport): string {
  return `score ${r.score}; rules that fired:\n${r.rules.map((x) => `  ${x.points.toFixed(1).padStart(5)} ${x.name}  ${x.description}`).join('\n')}`;
}

/**
 * Below 1.0, and no rule that adds points: the list headers earn MAILING_LIST_MULTI (-1.0), which
 * must not hide a rule that fires on the email itself (HTML_FONT_LOW_CONTRAST's 0.7 did).
 */
function expectClean(r: SpamReport): void {
  expect(r.score, explain(r)).toBeLessThan(1.0);
  expect(
    r.rules.filter((x) => x.points > 0).map((x) => x.name),
    explain(r),
  ).toEqual([]);
}

describe.skipIf(MISSING)('SpamAssassin on the digest as received', () => {
  it('scores the demo edition below 1.0', async () => {
    const t = await createTestDatabase(SERVICE_ENGINE);
    const sink = await startSmtpSink();
    try {
      const config = testConfig({ ...BASE, SMTP_URL: sink.url });
      const now = new Date();
      await seedDemo(t.db, config, now);
      const spec = currentDailySpec(config, now);
      expect(spec, 'the demo has an edition to send now').toBeDefined();
      await sendSpec(t.db, config, spec!, now, FAST);
      expect(sink.messages.length).toBeGreaterThan(0);
      expectClean(spamScore(sink.messages[0]!.raw));
    } finally {
      await sink.close();
      await t.close();
    }
  });

  it('scores a worst-case edition below 1.0: 15 long stories with images, a long non-ASCII name', async () => {
    const t = await createTestDatabase(SERVICE_ENGINE);
    const sink = await startSmtpSink();
    try {
      const slot = slotMinutesAgo(5);
      const config = testConfig({ ...BASE, SMTP_URL: sink.url, DIGEST_CRON: slot.cron, TOP_STORIES: '10', TOP_BLOGS: '5' });
      await t.db
        .insertInto('stories')
        .values(
          Array.from({ length: 15 }, (_, i) => ({
            url: `https://news.example.com/${i < 10 ? 'world' : 'blogs'}/2026/11/26/${'a-rather-long-slug-for-a-story-'.repeat(3)}${i}?utm_source=digest&utm_medium=email`,
            kind: i < 10 ? ('story' as const) : ('blog' as const),
            title: `${'Ministers “agree in principle” on the long-delayed regional water-sharing plan — ’s details '.repeat(3)}${i}`.slice(
              0,
              200,
            ),
            summary:
              'The agreement, reached after eleven hours of talks, covers the shared aquifers, the Disi pipeline and a joint fund; critics say it leaves the hardest questions for later. '.repeat(
                3,
              ),
            byline: 'Rana Hussein and Laith Al-Khaldi, with reporting by Reuters and AFP',
            section: 'International Affairs',
            image_url: `https://img.example.com/2026/11/26/${i}/${'photo-'.repeat(10)}large.jpg`,
            published_at: new Date(slot.sendAt.getTime() - (i + 1) * 600_000),
            votes: 12_345 - i,
            comments: 678,
          })),
        )
        .execute();
      await t.db
        .insertInto('subscribers')
        .values({ email: 'maria@example.com', name: 'María-José Ødegaard-Çelik Nguyễn Thị Minh Khai 名前 Zoë', status: 'active' })
        .execute();
      await sendDaily(t.db, config, slot.date, FAST);
      expect(sink.messages).toHaveLength(1);
      const m = sink.messages[0]!;
      expect(m.parsed.html).toBeTruthy();
      expect((m.parsed.html as string).match(/<img\s/g)).toHaveLength(15);
      expectClean(spamScore(m.raw));
    } finally {
      await sink.close();
      await t.close();
    }
  });
});
