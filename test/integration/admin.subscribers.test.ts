import { beforeAll, describe, expect, it } from 'vitest';
import { emailHash } from '../../src/subscribers/index.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { testConfig } from '../helpers/config.js';
import { SERVICE_ENGINE } from '../helpers/database.js';
import { useTestServer } from '../helpers/http.js';

describe('subscribers in the admin', () => {
  const ctx = useTestServer(SERVICE_ENGINE, testConfig());
  let ids: number[];
  beforeAll(async () => {
    ids = (
      await ctx.t.db
        .insertInto('subscribers')
        .values([
          { email: 'hala@example.com', name: 'Hala <b>Khoury</b>', status: 'active' },
          { email: 'ole@example.org', name: 'Ole', status: 'active' },
          { email: '100%_real@example.net', status: 'pending' },
        ])
        .returning('id')
        .execute()
    ).map((r) => r.id);
    await ctx.t.db
      .insertInto('subscriber_events')
      .values([
        { subscriber_id: ids[0]!, type: 'subscribed' },
        { subscriber_id: ids[0]!, type: 'confirmed' },
      ])
      .execute();
  });

  it('finds readers by part of their address, taking % and _ literally, and escapes what it shows', async () => {
    const session = await adminLogin(ctx.url);
    const page = await (await fetch(`${ctx.url}/admin/subscribers?q=EXAMPLE.com`, { headers: { cookie: session.cookie } })).text();
    expect(page).toContain('hala@example.com');
    expect(page).not.toContain('ole@example.org');
    expect(page).toContain('Hala &lt;b&gt;Khoury&lt;/b&gt;');
    const literal = await (
      await fetch(`${ctx.url}/admin/subscribers?q=${encodeURIComponent('0%_r')}`, { headers: { cookie: session.cookie } })
    ).text();
    expect(literal).toContain('100%_real@example.net');
    const wildcard = await (
      await fetch(`${ctx.url}/admin/subscribers?q=${encodeURIComponent('%')}`, { headers: { cookie: session.cookie } })
    ).text();
    expect(wildcard).not.toContain('hala@example.com');
  });

  it("shows a reader's history and unsubscribes them on the operator's POST, recorded as an event", async () => {
    const session = await adminLogin(ctx.url);
    const detail = await (await fetch(`${ctx.url}/admin/subscribers/${ids[0]}`, { headers: { cookie: session.cookie } })).text();
    expect(detail).toMatch(/subscribed[\s\S]*confirmed/);
    const res = await adminPost(ctx.url, `/admin/subscribers/${ids[0]}/unsubscribe`, session);
    expect(res.status).toBe(303);
    const row = await ctx.t.db.selectFrom('subscribers').select('status').where('id', '=', ids[0]!).executeTakeFirstOrThrow();
    expect(row.status).toBe('unsubscribed');
    const events = await ctx.t.db
      .selectFrom('subscriber_events')
      .select(['type', 'reason'])
      .where('subscriber_id', '=', ids[0]!)
      .orderBy('id')
      .execute();
    expect(events.at(-1)).toEqual({ type: 'unsubscribed', reason: 'by the operator' });
  });

  it('erases only with the confirmation ticked, keeping nothing but a hash', async () => {
    const session = await adminLogin(ctx.url);
    expect((await adminPost(ctx.url, `/admin/subscribers/${ids[1]}/erase`, session)).status).toBe(400);
    expect(await ctx.t.db.selectFrom('subscribers').select('id').where('id', '=', ids[1]!).executeTakeFirst()).toBeDefined();
    expect((await adminPost(ctx.url, `/admin/subscribers/${ids[1]}/erase`, session, { confirm: 'yes' })).status).toBe(200);
    expect(await ctx.t.db.selectFrom('subscribers').select('id').where('id', '=', ids[1]!).executeTakeFirst()).toBeUndefined();
    const suppressed = await ctx.t.db.selectFrom('suppressions').selectAll().execute();
    expect(suppressed).toEqual([expect.objectContaining({ email_hash: emailHash('ole@example.org'), reason: 'erased' })]);
  });

  it('refuses an action posted without the CSRF token', async () => {
    const session = await adminLogin(ctx.url);
    const res = await fetch(`${ctx.url}/admin/subscribers/${ids[2]}/unsubscribe`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(res.status).toBe(403);
    const row = await ctx.t.db.selectFrom('subscribers').select('status').where('id', '=', ids[2]!).executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
  });
});
