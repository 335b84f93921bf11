import { insertSendingEdition } from '../helpers/delivery.js';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDeliveries } from '../../src/delivery/index.js';
import { emailHash, suppress } from '../../src/subscribers/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

/** The claim and the deliveries INSERT … SELECT hash addresses in SQL: it must equal emailHash(). */
describe.each(ENGINES)('suppression hash in SQL on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('matches emailHash() for mixed-case addresses', async () => {
    t = await createTestDatabase(engine);
    for (const email of ['Anna.Smith@Example.COM', 'x@xn--bcher-kva.example']) {
      const r = await sql<{ h: string }>`SELECT encode(sha256(convert_to(lower(btrim(${email}::text)), 'UTF8')), 'hex') AS h`.execute(t.db);
      expect(r.rows[0]!.h).toBe(emailHash(email));
    }
  });

  it('skips at claim time a reader suppressed after the deliveries were created', async () => {
    t = await createTestDatabase(engine);
    const [a, b] = await t.db
      .insertInto('subscribers')
      .values([
        { email: 'Keep@Example.com', status: 'active' },
        { email: 'Gone@Example.com', status: 'active' },
      ])
      .returning('id')
      .execute();
    const e = await insertSendingEdition(t.db, '2026-11-20');
    await t.db
      .insertInto('deliveries')
      .values([
        { edition_id: e.id, subscriber_id: a!.id },
        { edition_id: e.id, subscriber_id: b!.id },
      ])
      .execute();
    await suppress(t.db, 'gone@example.com', 'complained');
    const r = await claimDeliveries(t.db, [e.id], 10, 60);
    expect(r.claimed.map((d) => d.email)).toEqual(['Keep@Example.com']);
    expect(r.skipped).toBe(1);
  });
});
