import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftedClock, silentLogger } from '../../src/config/index.js';
import { startService, type RunningService } from '../../src/main.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';
import { seedStories, insertSendingEdition } from '../helpers/delivery.js';

type Caught = { id: string; subject: string; to: string[] };

const AUTH = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

async function inbox(url: string): Promise<Caught[]> {
  return (await (await fetch(`${url}/inbox/messages.json`, AUTH)).json()) as Caught[];
}

/** Polls the catcher until `count` messages are there (bounded: 60 polls). */
async function waitForMail(url: string, count: number): Promise<Caught[]> {
  for (let i = 0; i < 60; i++) {
    const list = await inbox(url);
    if (list.length >= count) return list;
    await new Promise((r) => setTimeout(r, 500));
  }
  return inbox(url);
}

/** The "Send now" forms of the Editions page: the date and slot each one sends. */
async function sendNowForms(url: string, session: { cookie: string }): Promise<{ date: string; slot: string }[]> {
  const page = await (await fetch(`${url}/admin/editions`, { headers: { cookie: session.cookie } })).text();
  return [...page.matchAll(/<form method="post" action="\/admin\/editions\/send-now">(.*?)<\/form>/gs)]
    .filter((m) => m[1]!.includes('>Send now<'))
    .map((m) => ({ date: /name="date" value="([^"]+)"/.exec(m[1]!)![1]!, slot: /name="slot" value="([^"]+)"/.exec(m[1]!)![1]! }));
}

const DEMO_READERS = ['hala@example.com', 'mei@example.com', 'ole@example.com', 'reader@example.com', 'sam@example.com'];
const today = new Date().toISOString().slice(0, 10);

// The README's headline path, with the clock standing at the hours that broke it (after 12:00 UTC the
// 06:00 edition is past its cutoff), on today's date and on a date in the past and the future.
describe.each([
  `${today}T00:00:00Z`,
  `${today}T06:00:00Z`,
  `${today}T12:00:00Z`,
  `${today}T22:34:00Z`,
  '2025-03-30T23:00:00Z',
  '2031-12-31T23:59:00Z',
])("demo → send now → the digest in the catcher's inbox, the clock at %s", (at) => {
  let t: TestDatabase;
  let service: RunningService;
  const config = testConfig({ HOST: '127.0.0.1', WORKERS: '1' });
  beforeAll(async () => {
    t = await createTestDatabase(SERVICE_ENGINE);
    service = await startService(config, silentLogger, { database: t, demo: true, clock: shiftedClock(at) });
  });
  afterAll(async () => {
    await service?.close();
    await t?.close();
  });

  it('sends the demo edition to every demo reader within seconds of pressing the button, once', async () => {
    const session = await adminLogin(service.url);
    const demo = service.demo!;
    // The preview, by default, is of the edition that goes out next: the demo's stories are in it.
    const preview = await (await fetch(`${service.url}/admin/preview`, AUTH)).text();
    expect(preview).toContain('Turkey and Russia discuss reducing tension in Idlib');
    const forms = await sendNowForms(service.url, session);
    if (forms.length > 0) {
      // The page offers the edition the demo loaded, first.
      expect(forms[0]).toEqual({ date: demo.date, slot: demo.slot });
      const res = await adminPost(service.url, '/admin/editions/send-now', session, forms[0]!);
      expect(res.status).toBe(303);
      // At 06:00 sharp the scheduler's first tick may start it a moment before the button is pressed.
      const sentBy = at.endsWith('T06:00:00Z') ? /is sending to 5 readers|already sending/ : /is sending to 5 readers/;
      expect(decodeURIComponent(res.headers.get('location')!)).toMatch(sentBy);
    } else {
      // Standing exactly at the slot, the scheduler sent it by itself: no button is needed.
      expect(at.endsWith('T06:00:00Z')).toBe(true);
    }

    const mail = await waitForMail(service.url, 5);
    expect(mail.map((m) => m.to[0]).sort()).toEqual(DEMO_READERS);
    const page = await (await fetch(`${service.url}/inbox/${mail[0]!.id}`, AUTH)).text();
    expect(page).toContain('Turkey and Russia discuss reducing tension in Idlib');
    expect(page).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    // Pressing it again sends nothing new.
    const again = await adminPost(service.url, '/admin/editions/send-now', session, { date: demo.date, slot: demo.slot! });
    expect(decodeURIComponent(again.headers.get('location')!)).toMatch(/already (sending|sent)/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inbox(service.url)).toHaveLength(5);

    // The edition page shows the counts; a test copy goes to the address given, marked as a test.
    const edition = await t.db
      .selectFrom('editions')
      .select(['id'])
      .where('date', '=', demo.date)
      .where('slot', '=', demo.slot!)
      .executeTakeFirstOrThrow();
    const detail = await (await fetch(`${service.url}/admin/editions/${edition.id}`, { headers: { cookie: session.cookie } })).text();
    expect(detail.match(/<div class="card"><b>[^<]*<\/b>sent[^<]*<\/div>/)?.[0]).toMatch(/<b>5<\/b>sent/);
    const test = await adminPost(service.url, `/admin/editions/${edition.id}/test`, session, { to: 'editor@example.com' });
    expect(decodeURIComponent(test.headers.get('location')!)).toContain('Test sent to editor@example.com');
    const withTest = await waitForMail(service.url, 6);
    expect(withTest.find((m) => m.to[0] === 'editor@example.com')?.subject).toMatch(/^\[Test\] /);
  });
});

describe("the admin's editions", () => {
  let t: TestDatabase;
  let service: RunningService;
  const config = testConfig({ HOST: '127.0.0.1', WORKERS: '1' });
  beforeAll(async () => {
    t = await createTestDatabase(SERVICE_ENGINE);
    service = await startService(config, silentLogger, { database: t, demo: true });
  });
  afterAll(async () => {
    await service?.close();
    await t?.close();
  });

  it('shows a missed edition with how old its news is, and sends it late only after the confirmation', async () => {
    const session = await adminLogin(service.url);
    const date = '2026-01-05';
    await seedStories(t.db, new Date(`${date}T06:00:00Z`));
    const list = await (await fetch(`${service.url}/admin/editions?date=${date}`, { headers: { cookie: session.cookie } })).text();
    expect(list).toMatch(/<strong>missed<\/strong>/);
    expect(list).toContain(`href="/admin/editions/late?date=${date}&amp;slot=06%3A00"`);

    const confirm = await (
      await fetch(`${service.url}/admin/editions/late?date=${date}&slot=06%3A00`, { headers: { cookie: session.cookie } })
    ).text();
    expect(confirm).toMatch(/Its newest news is <b>\d+ hours old<\/b>/);
    expect(confirm).toMatch(/About <b>5<\/b> readers would get it now/);

    // Without the confirmation, a POST only leads to it: a stray request never mails old news.
    const stray = await adminPost(service.url, '/admin/editions/send-now', session, { date, slot: '06:00', mode: 'late' });
    expect(stray.headers.get('location')).toBe(`/admin/editions/late?date=${date}&slot=06%3A00`);
    expect(await t.db.selectFrom('editions').selectAll().where('date', '=', date).execute()).toEqual([]);

    const sent = await adminPost(service.url, '/admin/editions/send-now', session, { date, slot: '06:00', mode: 'late', confirm: 'yes' });
    expect(decodeURIComponent(sent.headers.get('location')!)).toMatch(/Edition 2026-01-05 06:00 is sending to 5 readers/);
    const row = await t.db.selectFrom('editions').selectAll().where('date', '=', date).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sending', sent_late: true });
  });

  it('offers Retry for a failed edition, with its reason, and retries it', async () => {
    const session = await adminLogin(service.url);
    const date = '2031-06-02';
    await t.db
      .insertInto('editions')
      .values({
        date,
        slot: '06:00',
        status: 'failed',
        error: 'preflight html_too_large: HTML is 130.0 KB',
        send_at: `${date}T06:00:00Z`,
        cutoff_at: `${date}T12:00:00Z`,
        window_start: '2031-06-01T06:00:00Z',
        window_end: `${date}T06:00:00Z`,
      })
      .execute();
    const list = await (await fetch(`${service.url}/admin/editions?date=${date}`, { headers: { cookie: session.cookie } })).text();
    expect(list).toMatch(
      /<strong>failed<\/strong><\/td><td data-label="Why">preflight html_too_large: HTML is 130.0 KB Fix the cause, then retry./,
    );
    expect(list).toMatch(/name="mode" value="retry"><button type="submit">Retry<\/button>/);
    const retried = await adminPost(service.url, '/admin/editions/send-now', session, { date, slot: '06:00', mode: 'retry' });
    // Retried, it is picked again: no story is in its window yet, so it stays open until its send time.
    expect(decodeURIComponent(retried.headers.get('location')!)).toMatch(
      /has no stories in its window: nothing sent. It is picked again at its send time./,
    );
    expect((await t.db.selectFrom('editions').select('status').where('date', '=', date).executeTakeFirstOrThrow()).status).toBe('empty');
  });

  it('pauses and resumes an edition being sent, and only from the right states', async () => {
    const session = await adminLogin(service.url);
    const e = await insertSendingEdition(t.db, '2026-01-01');
    expect((await adminPost(service.url, `/admin/editions/${e.id}/pause`, session)).status).toBe(303);
    expect((await t.db.selectFrom('editions').select('status').where('id', '=', e.id).executeTakeFirstOrThrow()).status).toBe('paused');
    const twice = await adminPost(service.url, `/admin/editions/${e.id}/pause`, session);
    expect(decodeURIComponent(twice.headers.get('location')!)).toContain('Nothing to pause');
    await adminPost(service.url, `/admin/editions/${e.id}/resume`, session);
    expect((await t.db.selectFrom('editions').select('status').where('id', '=', e.id).executeTakeFirstOrThrow()).status).toBe('sending');
  });
});
