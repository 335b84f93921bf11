import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { dailySpecs, weeklySpec, type EditionSpec } from '../../src/editions/index.js';
import { importStories } from '../../src/stories/index.js';
import { sendSpec } from '../helpers/delivery.js';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES } from '../helpers/database.js';
import { startSmtpSink, type ReceivedMessage } from '../helpers/smtp-sink.js';

/**
 * Story text is data, never template (issue 12): a blog feed about Vue and Handlebars, and a merge-tag
 * explainer, go through the real import (`digest stories import`), the real pick, render and preflight,
 * and a real SMTP relay on loopback. Every title and teaser arrives as its author wrote it.
 */
const feed = (name: string) => fileURLToPath(new URL(`../fixtures/feeds/${name}`, import.meta.url));

// 2026-11-23 is a Monday; the 06:00 UTC edition's window holds every item of both feeds.
const DATE = '2026-11-23';
const NOW = new Date('2026-11-23T06:05:00Z');
const PUBLIC_URL = 'https://digest.example.com';

/** What story-text.rss and story-text.atom say, as their authors wrote it (entities decoded, tags gone). */
const TITLES = [
  'Getting started with Vue: the {{ message }} syntax',
  'Handlebars loops: {{#each items}} and {{/each}} explained',
  'Why <script>alert(1)</script> still shows up in bug reports',
  'The %%greeting%% and %%unsubscribe_url%% merge tags, and why 100% of senders use them',
  'Partials in Handlebars: {{> x}} in practice',
  'Escaping <script>alert(1)</script> in {{ message }} bindings',
];
const TEASERS = [
  'Reuse markup with {{> partial}}; mail tools write %%unsubscribe_url%% and %%greeting%% where they mean you.',
  'Write {{#each items}}{{this}}{{/each}} once, render it for every item.',
  'Testers paste <script>alert(1)</script> into every field.',
  "Put {{> x}} where the partial goes; %%unsubscribe_url%% is a different engine's marker.",
  'Dear %%greeting%%, this teaser is plain text with {{ message }} in it.',
];

/** The text a mail client shows for an HTML part: entities decoded (tags left, they are not in our strings). */
function decodeHtml(html: string): string {
  return html
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}
/**
 * The plain-text part as read: wrapped lines joined. escapeText puts an invisible U+200B between the
 * two `%` of story text (so no story can forge a reader's placeholder); a reader sees it as written.
 */
const readText = (text: string) => text.replace(/\u200b/g, '').replace(/\s+/g, ' ');
const oneLine = (s: string) => s.replace(/\s+/g, ' ');

describe.each(ENGINES)('story text on %s', (engine) => {
  const track = useCleanup();

  const send = (db: Db, config: Config, spec: EditionSpec) => sendSpec(db, config, spec, NOW, { workerOptions: { idleMs: 50 } });

  /** The parts of one received digest, and every reader link to /u/ found in them. */
  function partsOf(m: ReceivedMessage) {
    const html = typeof m.parsed.html === 'string' ? m.parsed.html : '';
    const text = m.parsed.text ?? '';
    const lu = m.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const listUnsubscribe = lu.slice(lu.indexOf('<') + 1, lu.lastIndexOf('>'));
    const unsubscribeLinks = new Set(
      [...`${decodeHtml(html)}\n${text}`.matchAll(/https?:\/\/[^\s"'<>]*\/u\/[^\s"'<>]*/g)].map((x) => x[0]),
    );
    return { html, text, listUnsubscribe, unsubscribeLinks };
  }

  it('sends a feed whose titles and teasers carry {{ message }}, {{> x}}, %%unsubscribe_url%% and <script>, with the text shown as written', async () => {
    const t = track(await createTestDatabase(engine));
    const sink = track(await startSmtpSink());
    const { db } = t;
    const config = testConfig({ SMTP_URL: sink.url, PUBLIC_URL, DIGEST_CRON: '0 6 * * *', DIGEST_TZ: 'UTC', RETRY_BASE_SECONDS: '0' });

    // The import `digest stories import FILE` runs (and feed polling), on real feed documents.
    const rss = await importStories(db, feed('story-text.rss'), { now: NOW });
    const atom = await importStories(db, feed('story-text.atom'), { kind: 'blog', now: NOW });
    expect([rss.format, rss.inserted, rss.problems]).toEqual(['rss', 4, []]);
    expect([atom.format, atom.inserted, atom.problems]).toEqual(['atom', 2, []]);
    const stored = await db.selectFrom('stories').select(['title', 'summary']).execute();
    expect(stored.map((s) => s.title).sort()).toEqual([...TITLES].sort());

    await db
      .insertInto('subscribers')
      .values([
        { email: 'ada@example.com', name: 'Ada Lovelace', status: 'active' },
        { email: 'grace@example.com', name: 'Grace Hopper', status: 'active', frequency: 'weekly', weekday: 1 },
      ])
      .execute();

    const daily = await send(db, config, dailySpecs(config, DATE)[0]!);
    expect(daily.prepared.edition.error).toBeNull();
    expect(daily.prepared.outcome).toBe('created');
    expect(daily.prepared.edition.story_ids).toHaveLength(6);
    expect(daily.counts).toMatchObject({ sent: 1, failed: 0 });

    // The weekly edition of that Monday holds the same stories and is not failed by them either.
    const weekly = await send(db, config, weeklySpec(config, DATE)!);
    expect(weekly.prepared.edition.error).toBeNull();
    expect(weekly.prepared.outcome).toBe('created');
    expect(weekly.prepared.edition.story_ids).toHaveLength(6);
    expect(weekly.counts).toMatchObject({ sent: 1, failed: 0 });

    const mails = await sink.waitFor(2);
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['ada@example.com', 'grace@example.com']);
    for (const m of mails) {
      const { html, text, listUnsubscribe, unsubscribeLinks } = partsOf(m);
      const reader = m.to[0] === 'ada@example.com' ? 'Ada Lovelace' : 'Grace Hopper';

      // Plain text and subject: each title and teaser as written.
      expect(TITLES.some((s) => readText(m.parsed.subject ?? '').includes(s))).toBe(true);
      for (const s of [...TITLES, ...TEASERS]) expect(readText(text)).toContain(s);

      // HTML: escaped, so a mail client shows it as written; template syntax passes through untouched.
      expect(html).toContain('Getting started with Vue: the {{ message }} syntax');
      expect(html).toContain('Partials in Handlebars: {{&gt; x}} in practice');
      expect(html).toContain('Handlebars loops: {{#each items}} and {{/each}} explained');
      expect(html).toContain('Why &lt;script&gt;alert(1)&lt;/script&gt; still shows up in bug reports');
      expect(html).not.toMatch(/<script/i);
      for (const s of [...TITLES, ...TEASERS]) expect(oneLine(decodeHtml(html))).toContain(s);

      // %%unsubscribe_url%% in a story is text, not this reader's link: the only /u/ link is the real
      // one (List-Unsubscribe and the footer), and the footer does carry it.
      expect(listUnsubscribe).toMatch(new RegExp(`^${PUBLIC_URL}/u/`));
      expect([...unsubscribeLinks]).toEqual([listUnsubscribe]);
      expect(text).toContain(listUnsubscribe);
      // %%greeting%% in a story is not the reader's greeting: their name is in the greeting only.
      expect(readText(text)).toContain('Dear %%greeting%%, this teaser');
      expect(text.split(reader).length - 1).toBe(1);
      expect(oneLine(decodeHtml(html)).split(reader).length - 1).toBe(1);
    }

    const editions = await db.selectFrom('editions').select(['kind', 'status', 'error']).orderBy('kind').execute();
    expect(editions).toEqual([
      { kind: 'daily', status: 'sent', error: null },
      { kind: 'weekly', status: 'sent', error: null },
    ]);
  });
});
