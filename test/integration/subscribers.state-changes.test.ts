import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import {
  confirmSubscriber,
  emailHash,
  importSubscribers,
  markBounced,
  purgeExpiredPending,
  resubscribe,
  suppress,
  unsubscribe,
  unsuppress,
} from '../../src/subscribers/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

describe.each(ENGINES)('subscriber state changes on %s', (engine) => {
  let t: TestDatabase;
  afterEach(async () => t?.close());

  async function subscriber(status: 'pending' | 'active' | 'unsubscribed' | 'bounced' = 'active') {
    const row = await t.db
      .insertInto('subscribers')
      .values({
        email: `r${Math.random().toString(36).slice(2)}@example.com`,
        status,
        confirmed_at: status === 'pending' ? null : new Date(),
        confirmation_sent_at: new Date(),
      })
      .returning(['id', 'email', 'token_version'])
      .executeTakeFirstOrThrow();
    return row;
  }
  async function edition() {
    return t.db
      .insertInto('editions')
      .values({
        date: '2026-11-26',
        slot: '06:00',
        send_at: new Date(),
        cutoff_at: new Date(Date.now() + 6 * 3_600_000),
        window_start: new Date(),
        window_end: new Date(),
        status: 'sending',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  }
  const events = (id: number) => t.db.selectFrom('subscriber_events').selectAll().where('subscriber_id', '=', id).orderBy('id').execute();
  const status = async (id: number) =>
    (await t.db.selectFrom('subscribers').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  it('unsubscribes an active reader at once, records the edition, and repeating it changes nothing', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber();
    const e = await edition();
    expect(await unsubscribe(t.db, s.id, { editionId: e.id })).toEqual({ changed: true });
    expect(await status(s.id)).toBe('unsubscribed');
    expect(await unsubscribe(t.db, s.id, { editionId: e.id })).toEqual({ changed: false });
    const ev = await events(s.id);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'unsubscribed', edition_id: e.id, reason: null });
  });

  it('attaches a reason given afterwards to the unsubscribe it explains', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber();
    await unsubscribe(t.db, s.id, {});
    await unsubscribe(t.db, s.id, { reason: 'too many emails' });
    expect((await events(s.id)).map((e) => [e.type, e.reason])).toEqual([['unsubscribed', 'too many emails']]);
  });

  it('ignores an edition id that does not exist rather than failing', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber();
    expect(await unsubscribe(t.db, s.id, { editionId: 999_999 })).toEqual({ changed: true });
    expect((await events(s.id))[0]?.edition_id).toBeNull();
  });

  it('refuses a link from an earlier subscription (token version)', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber();
    expect(await unsubscribe(t.db, s.id, { version: s.token_version + 1 })).toEqual({ changed: false });
    expect(await status(s.id)).toBe('active');
  });

  it('in the same statement skips the queued deliveries of a reader who unsubscribes mid-send', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber();
    const other = await subscriber();
    const e = await edition();
    await t.db
      .insertInto('deliveries')
      .values([
        { edition_id: e.id, subscriber_id: s.id },
        { edition_id: e.id, subscriber_id: other.id },
      ])
      .execute();
    await unsubscribe(t.db, s.id, { editionId: e.id });
    // What any claim sees right after: nothing to send to the reader who left, by either test.
    const claimable = await sql<{ subscriber_id: number }>`
      SELECT d.subscriber_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
       WHERE d.edition_id = ${e.id} AND d.status IN ('queued', 'retry') AND s.status = 'active'`.execute(t.db);
    expect(claimable.rows.map((r) => r.subscriber_id)).toEqual([other.id]);
    const mine = await t.db.selectFrom('deliveries').select('status').where('subscriber_id', '=', s.id).executeTakeFirstOrThrow();
    expect(mine.status).toBe('skipped');
  });

  it('confirms only a pending sign-up with the current version that has not expired', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber('pending');
    expect((await confirmSubscriber(t.db, s.id, s.token_version + 1, 7)).changed).toBe(false);
    expect(await confirmSubscriber(t.db, s.id, s.token_version, 7)).toEqual({ changed: true, email: s.email });
    expect((await confirmSubscriber(t.db, s.id, s.token_version, 7)).changed).toBe(false);
    const old = await subscriber('pending');
    await t.db
      .updateTable('subscribers')
      .set({ confirmation_sent_at: new Date(Date.now() - 8 * 86_400_000), created_at: new Date(Date.now() - 8 * 86_400_000) })
      .where('id', '=', old.id)
      .execute();
    expect((await confirmSubscriber(t.db, old.id, old.token_version, 7)).changed).toBe(false);
    expect((await events(s.id)).map((e) => e.type)).toEqual(['confirmed']);
  });

  it('undoes an unsubscribe with the same link, but never revives a bounced reader', async () => {
    t = await createTestDatabase(engine);
    const s = await subscriber();
    await unsubscribe(t.db, s.id);
    expect(await resubscribe(t.db, s.id, s.token_version)).toEqual({ changed: true });
    expect(await status(s.id)).toBe('active');
    expect(await markBounced(t.db, s.id, { reason: '550 no such user' })).toEqual({ changed: true });
    expect(await resubscribe(t.db, s.id, s.token_version)).toEqual({ changed: false });
    expect((await events(s.id)).map((e) => e.type)).toEqual(['unsubscribed', 'resubscribed', 'bounced']);
  });

  it('keeps only a hash on the suppression list', async () => {
    t = await createTestDatabase(engine);
    await suppress(t.db, 'Reader@Example.com', 'bounced');
    await suppress(t.db, 'reader@example.com', 'erased');
    // Through a path that reads the list: an import refuses a suppressed address, in any case.
    expect((await importSubscribers(t.db, 'READER@example.com\n')).problems).toEqual([
      expect.objectContaining({ message: expect.stringContaining('suppression list') }),
    ]);
    const rows = await t.db.selectFrom('suppressions').selectAll().execute();
    expect(rows).toEqual([expect.objectContaining({ email_hash: emailHash('reader@example.com'), reason: 'bounced' })]);
    expect(JSON.stringify(rows)).not.toContain('example');
    await unsuppress(t.db, 'reader@example.com');
    expect(await t.db.selectFrom('suppressions').selectAll().execute()).toEqual([]);
    expect(await importSubscribers(t.db, 'READER@example.com\n')).toMatchObject({ inserted: 1, problems: [] });
  });

  it('purges expired sign-ups: a first-time one is deleted, a returning reader goes back to unsubscribed', async () => {
    t = await createTestDatabase(engine);
    const old = new Date(Date.now() - 10 * 86_400_000);
    const fresh = await subscriber('pending');
    const stale = await t.db
      .insertInto('subscribers')
      .values({ email: 'stale@example.com', status: 'pending', confirmation_sent_at: old, created_at: old })
      .returning('id')
      .executeTakeFirstOrThrow();
    const returning = await t.db
      .insertInto('subscribers')
      .values({ email: 'back@example.com', status: 'pending', confirmation_sent_at: old, confirmed_at: old })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await purgeExpiredPending(t.db, 7)).toBe(2);
    const rows = await t.db.selectFrom('subscribers').select(['id', 'status']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: fresh.id, status: 'pending' },
      { id: returning.id, status: 'unsubscribed' },
    ]);
    expect(rows.find((r) => r.id === stale.id)).toBeUndefined();
  });
});
