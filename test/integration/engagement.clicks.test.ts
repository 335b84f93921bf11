import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, sendDaily, slotMinutesAgo } from '../helpers/delivery.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const FAST = { workerOptions: { idleMs: 50 } };

/** The hrefs of the story title links in a received digest (the first `count` links to stories). */
function storyLinks(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]+)"[^>]*>/g)]
    .map((m) => m[1]!.replace(/&amp;/g, '&'))
    .filter((h) => /news\.example\.com|\/c\//.test(h));
}

describe.each(ENGINES)('click tracking on %s', (engine) => {
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  let server: TestServer | undefined;
  const track = useCleanup();

  async function send(mode: string) {
    t = track(await createTestDatabase(engine));
    sink = track(await startSmtpSink());
    const slot = slotMinutesAgo(5);
    const config = testConfig({
      SMTP_URL: sink.url,
      DIGEST_CRON: slot.cron,
      PUBLIC_URL: 'https://digest.example.com',
      CLICK_TRACKING: mode,
    });
    await seedStories(t.db, slot.sendAt);
    const readers = await seedReaders(t.db, 2);
    await sendDaily(t.db, config, slot.date, FAST);
    const messages = await sink.waitFor(2);
    server = track(await startTestServer(t, config));
    return { config, readers, messages, db: t.db, base: server.url };
  }

  it("is off by default: story links are the stories' own URLs and nothing is counted", async () => {
    const { messages, db } = await send('off');
    const links = storyLinks(String(messages[0]!.parsed.html));
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((l) => l.startsWith('https://news.example.com/'))).toBe(true);
    expect(await db.selectFrom('story_clicks').selectAll().execute()).toEqual([]);
  });

  it('aggregate: links redirect through a signed link, the same for every reader, counted per story and never per reader', async () => {
    const { messages, db, base } = await send('aggregate');
    const [a, b] = messages.map((m) => storyLinks(String(m.parsed.html)));
    expect(a!.every((l) => l.startsWith('https://digest.example.com/c/'))).toBe(true);
    expect(a).toEqual(b);
    expect(String(messages[0]!.parsed.text)).toContain('https://digest.example.com/c/');

    const res = await fetch(`${base}${new URL(a![0]!).pathname}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^https:\/\/news\.example\.com\//);
    await fetch(`${base}${new URL(a![0]!).pathname}`, { redirect: 'manual' });
    const counts = await db.selectFrom('story_clicks').select(['story_id', 'clicks']).execute();
    expect(counts).toHaveLength(1);
    expect(counts[0]!.clicks).toBe(2);
    expect(await db.selectFrom('click_events').selectAll().execute()).toEqual([]);
  });

  it("individual: each reader's links carry their own token, and a click names them", async () => {
    const { messages, db, base, readers } = await send('individual');
    const byReader = new Map(messages.map((m) => [m.to[0]!, storyLinks(String(m.parsed.html))]));
    const first = byReader.get('r0000@example.com')!;
    const second = byReader.get('r0001@example.com')!;
    expect(first[0]).toMatch(/\/c\/[^?]+\?r=story|\/c\/[^?]+\?r=click\./);
    expect(first[0]).not.toEqual(second[0]);
    expect(first[0]!.split('?')[0]).toEqual(second[0]!.split('?')[0]);
    const u = new URL(first[0]!);
    expect((await fetch(`${base}${u.pathname}${u.search}`, { redirect: 'manual' })).status).toBe(302);
    const events = await db.selectFrom('click_events').select(['subscriber_id']).execute();
    expect(events).toEqual([{ subscriber_id: readers[0] }]);
  });

  it('refuses a forged or altered link with a 404 and counts nothing', async () => {
    const { messages, db, base } = await send('aggregate');
    const link = new URL(storyLinks(String(messages[0]!.parsed.html))[0]!);
    const altered = link.pathname.slice(0, -2) + (link.pathname.endsWith('AA') ? 'BB' : 'AA');
    expect((await fetch(`${base}${altered}`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${base}/c/story.x.1-1.AAAAAAAAAAAAAAAAAAAAAA`, { redirect: 'manual' })).status).toBe(404);
    expect(await db.selectFrom('story_clicks').selectAll().execute()).toEqual([]);
  });
});
