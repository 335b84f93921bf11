import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { seedDemo } from '../../src/demo/seed-demo.js';
import { startService, type RunningService } from '../../src/main.js';
import { localDate } from '../../src/ranking/index.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { ADMIN_TOKEN, testConfig } from '../helpers/config.js';
import { createTestDatabase, SERVICE_ENGINE, type TestDatabase } from '../helpers/database.js';

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

describe('demo → send now → the digest in the catcher\'s inbox', () => {
  let t: TestDatabase;
  let service: RunningService;
  const config = testConfig({ HOST: '127.0.0.1', WORKERS: '1' });
  beforeAll(async () => {
    t = await createTestDatabase(SERVICE_ENGINE);
    service = await startService(config, silentLogger, { database: t, demo: true });
    await seedDemo(t.db, config);
  });
  afterAll(async () => {
    await service?.close();
    await t?.close();
  });

  it('sends today\'s edition to every demo reader within seconds of pressing the button, once', async () => {
    const session = await adminLogin(service.url);
    const today = localDate(new Date(), config.digest.timeZone);
    const res = await adminPost(service.url, '/admin/editions/send-now', session, { date: today });
    expect(res.status).toBe(303);
    expect(decodeURIComponent(res.headers.get('location')!)).toMatch(/is sending to 5 readers/);

    const mail = await waitForMail(service.url, 5);
    expect(mail.map((m) => m.to[0]).sort()).toEqual(['hala@example.com', 'mei@example.com', 'ole@example.com', 'reader@example.com', 'sam@example.com']);
    const page = await (await fetch(`${service.url}/inbox/${mail[0]!.id}`, AUTH)).text();
    expect(page).toContain('Turkey and Russia discuss reducing tension in Idlib');
    expect(page).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    // Pressing it again sends nothing new.
    const again = await adminPost(service.url, '/admin/editions/send-now', session, { date: today });
    expect(decodeURIComponent(again.headers.get('location')!)).toMatch(/already (sending|sent)/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await inbox(service.url)).toHaveLength(5);

    // The edition page shows the counts; a test copy goes to the address given, marked as a test.
    const edition = await t.db.selectFrom('editions').select(['id']).where('date', '=', today).executeTakeFirstOrThrow();
    const detail = await (await fetch(`${service.url}/admin/editions/${edition.id}`, { headers: { cookie: session.cookie } })).text();
    expect(detail.match(/<div class="card"><b>[^<]*<\/b>sent[^<]*<\/div>/)?.[0]).toMatch(/<b>5<\/b>sent/);
    const test = await adminPost(service.url, `/admin/editions/${edition.id}/test`, session, { to: 'editor@example.com' });
    expect(decodeURIComponent(test.headers.get('location')!)).toContain('Test sent to editor@example.com');
    const withTest = await waitForMail(service.url, 6);
    expect(withTest.find((m) => m.to[0] === 'editor@example.com')?.subject).toMatch(/^\[Test\] /);
  });

  it('pauses and resumes an edition being sent, and only from the right states', async () => {
    const session = await adminLogin(service.url);
    const e = await t.db
      .insertInto('editions')
      .values({ date: '2026-01-01', slot: '06:00', status: 'sending', send_at: new Date(), cutoff_at: new Date(Date.now() + 6 * 3_600_000), window_start: new Date(Date.now() - 86_400_000), window_end: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await adminPost(service.url, `/admin/editions/${e.id}/pause`, session)).status).toBe(303);
    expect((await t.db.selectFrom('editions').select('status').where('id', '=', e.id).executeTakeFirstOrThrow()).status).toBe('paused');
    const twice = await adminPost(service.url, `/admin/editions/${e.id}/pause`, session);
    expect(decodeURIComponent(twice.headers.get('location')!)).toContain('Nothing to pause');
    await adminPost(service.url, `/admin/editions/${e.id}/resume`, session);
    expect((await t.db.selectFrom('editions').select('status').where('id', '=', e.id).executeTakeFirstOrThrow()).status).toBe('sending');
  });
});
