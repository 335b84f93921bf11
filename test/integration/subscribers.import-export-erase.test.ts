import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emailHash, eraseSubscriber, exportSubscribers, importSubscribers, suppress, unsubscribe } from '../../src/subscribers/index.js';
import { runDigest } from '../helpers/cli.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';

const fixture = (name: string) => new URL(`../fixtures/subscribers/${name}`, import.meta.url).pathname;

describe.each(ENGINES)('subscribers import, export and erase on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  const all = () => t!.db.selectFrom('subscribers').selectAll().orderBy('email').execute();

  it('imports good rows as active, merges duplicates, reports bad rows by line, and is harmless to repeat', async () => {
    t = await createTestDatabase(engine);
    const text = readFileSync(fixture('own-with-bom-crlf.csv'), 'utf8');
    const r = await importSubscribers(t.db, text);
    expect(r).toMatchObject({ inserted: 3, updated: 0, duplicates: 1 });
    expect(r.problems.map((p) => p.line)).toEqual([3, 4, 8]);
    const rows = await all();
    expect(rows.map((s) => [s.email, s.name, s.status, s.timezone])).toEqual([
      ['ada@example.com', 'Ada "the Countess" Lovelace', 'active', 'Europe/London'],
      ['bob@example.com', 'Bob', 'active', null],
      ['carol@example.com', 'Carol', 'active', 'America/New_York'],
    ]);
    expect(rows.every((s) => s.confirmed_at instanceof Date)).toBe(true);
    const again = await importSubscribers(t.db, text);
    expect(again).toMatchObject({ inserted: 0, updated: 3 });
    expect(await all()).toHaveLength(3);
    const events = await t.db.selectFrom('subscriber_events').select('type').execute();
    expect(events.map((e) => e.type)).toEqual(['imported', 'imported', 'imported']);
  });

  it('never undoes an opt-out: unsubscribed and suppressed addresses are reported, not imported; pending ones become active', async () => {
    t = await createTestDatabase(engine);
    const left = await t.db
      .insertInto('subscribers')
      .values({ email: 'left@example.com', status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await unsubscribe(t.db, left.id);
    await t.db.insertInto('subscribers').values({ email: 'pending@example.com', status: 'pending' }).execute();
    await suppress(t.db, 'bounced@example.com', 'bounced');
    const r = await importSubscribers(
      t.db,
      'email,name\nleft@example.com,Left\nbounced@example.com,B\npending@example.com,Pat\nnew@example.com,New\n',
    );
    expect(r).toMatchObject({ inserted: 1, updated: 1 });
    expect(r.problems).toEqual([
      { line: 2, message: expect.stringContaining('unsubscribed or bounced here before') },
      { line: 3, message: expect.stringContaining('suppression list') },
    ]);
    expect((await all()).map((s) => [s.email, s.status, s.name])).toEqual([
      ['left@example.com', 'unsubscribed', null],
      ['new@example.com', 'active', 'New'],
      ['pending@example.com', 'active', 'Pat'],
    ]);
  });

  it('exports CSV that imports back, with formula-looking names defused', async () => {
    t = await createTestDatabase(engine);
    await importSubscribers(t.db, 'a@example.com,"Smith, Jo"\nb@example.com,=HYPERLINK("x")\n');
    let out = '';
    expect(
      await exportSubscribers(t.db, (c) => {
        out += c;
      }),
    ).toBe(2);
    const lines = out.trimEnd().split('\r\n');
    expect(lines[0]).toBe('email,name,status,timezone,send_hour,frequency,weekday,sections,created_at,confirmed_at,unsubscribed_at');
    expect(lines[1]).toMatch(/^a@example\.com,"Smith, Jo",active,,,daily,,stories blogs,\d{4}-/);
    expect(lines[2]).toContain(`'=HYPERLINK(""x"")`);
    await t.db.deleteFrom('subscribers').execute();
    expect(await importSubscribers(t.db, out)).toMatchObject({ inserted: 2, problems: [] });
  });

  it('quotes a name that holds a line break, a lone CR or a quote, so each reader stays one record', async () => {
    t = await createTestDatabase(engine);
    const names = ['Ann\nLee', 'Bo\rRay', 'Cy "C" Ng'];
    await t.db
      .insertInto('subscribers')
      .values(names.map((name, i) => ({ email: `q${i}@example.com`, name, status: 'active' as const })))
      .execute();
    let out = '';
    await exportSubscribers(t.db, (c) => {
      out += c;
    });
    expect(out).toContain('q0@example.com,"Ann\nLee",active,');
    expect(out).toContain('q1@example.com,"Bo\rRay",active,');
    expect(out).toContain('q2@example.com,"Cy ""C"" Ng",active,');
    expect(out.endsWith('\r\n')).toBe(true);
  });

  it('erases a reader: no address, name or reason left anywhere, only the hash on the suppression list', async () => {
    t = await createTestDatabase(engine);
    const s = await t.db
      .insertInto('subscribers')
      .values({ email: 'Gone@Example.com', name: 'Gina Gone', status: 'active' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await unsubscribe(t.db, s.id, { reason: 'moving, write to gina@elsewhere.example' });
    expect(await eraseSubscriber(t.db, 'gone@example.com')).toEqual({ found: true });
    expect(await all()).toEqual([]);
    const dump = JSON.stringify({
      events: await t.db.selectFrom('subscriber_events').selectAll().execute(),
      suppressions: await t.db.selectFrom('suppressions').selectAll().execute(),
    });
    expect(dump.toLowerCase()).not.toContain('gone');
    expect(dump).not.toContain('gina');
    expect(dump).toContain(emailHash('gone@example.com'));
    expect((await importSubscribers(t.db, 'GONE@example.com\n')).problems, 'an import refuses a suppressed address').toHaveLength(1);
    const types = await t.db.selectFrom('subscriber_events').select(['type', 'subscriber_id']).orderBy('id').execute();
    expect(types).toEqual([
      { type: 'unsubscribed', subscriber_id: null },
      { type: 'erased', subscriber_id: null },
    ]);
    expect(await eraseSubscriber(t.db, 'never@example.com')).toEqual({ found: false });
    expect((await importSubscribers(t.db, 'never@example.com\n')).problems, 'an import refuses a suppressed address').toHaveLength(1);
  });
});

describe('digest subscribers import | export | erase, as processes on PostgreSQL', () => {
  let t: TestDatabase | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('imports with line-numbered rejections (exit 1), exports CSV on stdout, erases an address', async () => {
    t = await createTestDatabase('postgres');
    const env = { DATABASE_URL: t.url, SECRET: 'cli-test-secret-0123456789' };
    const imported = await runDigest(['subscribers', 'import', fixture('own-with-bom-crlf.csv')], env);
    expect(imported.code).toBe(1);
    expect(imported.stdout).toContain('3 new, 0 merged into existing, 1 duplicate lines merged, 3 rejected');
    expect(imported.stderr).toMatch(/line 3: "not-an-address" is not a valid address/);
    expect(imported.stderr).toContain('line 8:');

    const listmonk = await runDigest(['subscribers', 'import', fixture('mailchimp-export.csv')], env);
    expect(listmonk.code).toBe(0);

    const exported = await runDigest(['subscribers', 'export'], env);
    expect(exported.code).toBe(0);
    expect(exported.stdout.split('\r\n').filter(Boolean)).toHaveLength(5);
    expect(exported.stderr).toContain('exported 4 subscribers');
    const dir = mkdtempSync(join(tmpdir(), 'digest-export-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'out.csv'), exported.stdout);
    expect((await runDigest(['subscribers', 'import', join(dir, 'out.csv')], env)).stdout).toContain('0 new, 4 merged');

    const erased = await runDigest(['subscribers', 'erase', 'ada@example.com'], env);
    expect(erased).toMatchObject({ code: 0 });
    expect(erased.stdout).toContain('erased ada@example.com');
    expect(await t.db.selectFrom('subscribers').select('email').where('email', '=', 'ada@example.com').executeTakeFirst()).toBeUndefined();

    expect((await runDigest(['subscribers', 'import', join(dir, 'missing.csv')], env)).code).toBe(1);
  });
});
