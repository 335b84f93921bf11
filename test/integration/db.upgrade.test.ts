import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { migrate, migrationState, openDatabase, type Db, type OpenDatabase } from '../../src/db/index.js';
import { emailHash, findByToken, signToken, verifyToken, type TokenPurpose } from '../../src/subscribers/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { runDigest } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { ENGINES } from '../helpers/database.js';
import { startTestServer } from '../helpers/http.js';
import { spawnDigest, tally, until, withTimeout } from '../helpers/send-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { emptyPostgres, rawClient } from '../helpers/upgrade-database.js';
import {
  asBefore,
  EDITION_2_RECIPIENTS,
  fillRelease010,
  LINKS_FROM_010,
  READERS,
  SENDING_EDITION,
  snapshot,
  UPGRADE_SECRET,
  type Snapshot,
} from '../helpers/upgrade-fixture.js';
import { migrationFiles, readReleases, releaseMigrationsDir, type Release } from '../helpers/upgrade-releases.js';
import { Supervisor } from '../helpers/upgrade-supervisor.js';

/**
 * Upgrading a database of an earlier release to today's code (docs/upgrading.md says what this
 * proves). The old schema is built from migrations/releases.json, filled with raw SQL written for
 * that schema, and upgraded the way an operator does it: `digest migrate` (or migrate() beside
 * running workers on PostgreSQL). Then nothing may be lost: no row, no reader's link, no message
 * sent twice, none of an edition being sent left unsent.
 */
const RELEASES = readReleases();
const OLDEST = RELEASES[0]!;
const TODAY = migrationFiles();
/** What an 0.1.0 database lacks. */
const NEW = TODAY.filter((n) => !OLDEST.migrations.some((m) => m.name === n));
const PUBLIC_URL = 'http://digest.test';
const MAIL_FROM = 'Daily Digest <digest@example.com>';
const config = testConfig({ SECRET: UPGRADE_SECRET, PUBLIC_URL });
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const refusal = new RegExp(`: ${NEW.length} migration\\(s\\) not applied \\(${literal(NEW.join(', '))}\\): run digest migrate$`, 'm');

type Row = Record<string, unknown>;

/** A reader's link as an email holds it. */
interface Link {
  readonly purpose: TokenPurpose;
  readonly token: string;
  readonly subscriberId: number;
  readonly email: string;
}

/** Every link a reader of the old database may hold: unsubscribe and preferences (from edition 2 when they were sent it), confirm while pending. */
function linksOf(before: Snapshot): Link[] {
  const inEdition2 = new Set(before.deliveries.filter((d) => d.edition_id === SENDING_EDITION).map((d) => d.subscriber_id));
  const links: Link[] = [];
  for (const s of before.subscribers) {
    const id = s.id as number;
    const email = s.email as string;
    const subject = { subscriberId: id, version: s.token_version as number, editionId: inEdition2.has(id) ? SENDING_EDITION : undefined };
    for (const purpose of ['unsubscribe', 'preferences'] as const)
      links.push({ purpose, token: signToken(config.keys, purpose, subject), subscriberId: id, email });
    if (s.status === 'pending')
      links.push({
        purpose: 'confirm',
        token: signToken(config.keys, 'confirm', { subscriberId: id, version: subject.version }),
        subscriberId: id,
        email,
      });
  }
  return links;
}

/** The links 0.1.0 wrote into emails (literals), minus the one of an earlier subscription, which finds no one by design. */
function linksFrom010(before: Snapshot): Link[] {
  const byId = new Map(before.subscribers.map((s) => [s.id as number, s.email as string]));
  return Object.entries(LINKS_FROM_010)
    .filter(([name]) => name !== 'benEarlierUnsubscribe')
    .map(([, token]) => {
      const [purpose, , fields] = token.split('.') as [TokenPurpose, string, string];
      const subscriberId = parseInt(fields.split('-')[0]!, 36);
      return { purpose, token, subscriberId, email: byId.get(subscriberId)! };
    });
}

/** Verifies each link with today's code and looks its reader up as the pages do (findByToken). */
async function expectLinksFindTheirReaders(db: Db, links: readonly Link[]): Promise<void> {
  const lost: string[] = [];
  for (const l of links) {
    const v = verifyToken(config.keys, l.purpose, l.token);
    if (!v.ok) {
      lost.push(`${l.purpose} link of ${l.email}: ${v.reason}`);
      continue;
    }
    const s = await findByToken(db, v.subject);
    if (s?.id !== l.subscriberId || s.email !== l.email) lost.push(`${l.purpose} link of ${l.email} finds ${s ? s.email : 'nobody'}`);
  }
  expect(lost).toEqual([]);
  // A link of an earlier subscription was inert before the upgrade and stays so.
  const earlier = verifyToken(config.keys, 'unsubscribe', LINKS_FROM_010.benEarlierUnsubscribe);
  expect(earlier.ok && (await findByToken(db, earlier.subject))).toBeFalsy();
}

const isWaiting = (d: Row) => d.edition_id === SENDING_EDITION && ['queued', 'retry', 'sending'].includes(d.status as string);

async function waitingDeliveries(db: Db): Promise<number> {
  const r = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('edition_id', '=', SENDING_EDITION)
    .where('status', 'in', ['queued', 'retry', 'sending'])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * After the upgrade and the send: every row of the old database is there, unchanged but for what a
 * migration documents (060: a story imported from a file path has the source `file`) and the send
 * of edition 2 (its waiting deliveries, checked message by message).
 */
async function expectRowsKept(db: Db, before: Snapshot): Promise<void> {
  const after = await snapshot(db);
  const counts = (s: Snapshot) => Object.fromEntries(Object.entries(s).map(([t, rows]) => [t, rows.length]));
  expect(counts(after)).toEqual(counts(before));
  const expected = structuredClone(before);
  expected.stories = expected.stories.map((s) => (s.id === 3 ? { ...s, source: 'file' } : s));
  const seen = asBefore(before, after);
  const sent = new Set(before.deliveries.filter(isWaiting).map((d) => d.id));
  expected.deliveries = expected.deliveries.filter((d) => !sent.has(d.id));
  seen.deliveries = seen.deliveries.filter((d) => !sent.has(d.id));
  expect(seen).toEqual(expected);

  // The columns 050 added, as it documents: cutoff send_at + 6 h, started when it began sending.
  const editions = await db.selectFrom('editions').selectAll().orderBy('id').execute();
  for (const e of editions) {
    const old = before.editions.find((x) => x.id === e.id)!;
    expect(e.cutoff_at.getTime(), `edition ${e.id}`).toBe(e.send_at.getTime() + 6 * 3_600_000);
    expect(e.started_at?.toISOString() ?? null, `edition ${e.id}`).toBe(
      ['sending', 'sent'].includes(e.status) ? new Date(old.updated_at as string).toISOString() : null,
    );
    expect(e.sent_late).toBe(false);
  }
  // Suppressions were stored as today's emailHash computes them: the bounced address stays suppressed.
  expect(before.suppressions.map((s) => s.email_hash)).toContain(emailHash('fay@example.com'));
}

/**
 * Edition 2 after the upgrade: each of its readers got exactly one copy (the one its delivery row
 * names), those it was already sent to none, nobody else anything; no claim was sent before its
 * lease ran out.
 */
async function expectEditionSentOnce(db: Db, before: Snapshot, sink: SmtpSink, finishedByHolder: readonly number[] = []): Promise<void> {
  const rows = await db
    .selectFrom('deliveries')
    .innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
    .select(['deliveries.id', 'deliveries.status', 'deliveries.message_id', 'subscribers.id as subscriber', 'subscribers.email'])
    .where('edition_id', '=', SENDING_EDITION)
    .execute();
  const byReader = new Map(rows.map((r) => [r.subscriber, r]));
  const { byRecipient } = tally(sink);
  const expected = new Map(EDITION_2_RECIPIENTS.map((id) => [byReader.get(id)!.email, id]));
  expect([...byRecipient.keys()].sort()).toEqual([...expected.keys()].sort());
  expect(sink.messages.length).toBe(EDITION_2_RECIPIENTS.length);
  for (const [email, id] of expected) {
    const d = byReader.get(id)!;
    expect(d.status, email).toBe('sent');
    expect([...byRecipient.get(email)!.ids], email).toEqual([d.message_id]);
  }
  // Sent before the upgrade (Jo), skipped (Lee): untouched, nothing mailed.
  expect(byReader.get(READERS.jo)).toMatchObject({ status: 'sent', message_id: '<digest.2.2010@example.com>' });
  expect(byReader.get(READERS.lee)).toMatchObject({ status: 'skipped' });
  // A claim is not sent again before its lease has run out (unless the worker holding it sent it).
  const claims = before.deliveries.filter((x) => x.edition_id === SENDING_EDITION && x.status === 'sending');
  for (const d of claims.filter((x) => !finishedByHolder.includes(x.id as number))) {
    const email = byReader.get(d.subscriber_id as number)!.email;
    const at = sink.recipients.find((r) => r.address === email)!.at + performance.timeOrigin;
    expect(at, email).toBeGreaterThanOrEqual(Date.parse(d.lease_until as string));
  }
}

/** The old links on today's pages, against the upgraded database: each acts on its own reader only. */
async function expectLinksWorkOnThePages(database: OpenDatabase, sink: SmtpSink): Promise<void> {
  const server = await startTestServer(database, config);
  try {
    const status = async (id: number) =>
      (await database.db.selectFrom('subscribers').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    const statuses = async () =>
      Object.fromEntries(
        (await database.db.selectFrom('subscribers').select(['id', 'status']).execute()).map((s) => [s.id, s.status] as const),
      );
    const start = await statuses();
    const post = (path: string) => fetch(`${server.url}${path}`, { method: 'POST' });
    const get = (path: string) => fetch(`${server.url}${path}`);

    expect((await get(`/u/${LINKS_FROM_010.benEarlierUnsubscribe}`)).status).toBe(410);
    expect((await post(`/u/${LINKS_FROM_010.adaUnsubscribe}`)).status).toBe(200);
    expect((await post(`/u/${LINKS_FROM_010.benUnsubscribe}`)).status).toBe(200);
    expect((await post(`/confirm/${LINKS_FROM_010.deeConfirm}`)).status).toBe(200);
    const eve = await get(`/u/${LINKS_FROM_010.eveUnsubscribe}`);
    expect(eve.status).toBe(200);
    expect(await eve.text()).toContain('eve@example.com');
    const cy = await get(`/p/${LINKS_FROM_010.cyPreferences}`);
    expect(cy.status).toBe(200);
    expect(await cy.text()).toContain('cy@example.com');
    // A link in a message the upgraded workers sent: signed with the same SECRET.
    const ivy = sink.messages.find((m) => m.to[0] === 'ivy@example.com')!;
    const header = ivy.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const path = /<http:\/\/digest\.test(\/u\/[^>]+)>/.exec(header)![1]!;
    expect((await post(path)).status).toBe(200);

    expect(await statuses()).toEqual({
      ...start,
      [READERS.ada]: 'unsubscribed',
      [READERS.ben]: 'unsubscribed',
      [READERS.dee]: 'active',
      [READERS.ivy]: 'unsubscribed',
    });
    expect(await status(READERS.eve)).toBe('unsubscribed');
    // Ada's unsubscribe names the edition her link came from.
    const events = await database.db
      .selectFrom('subscriber_events')
      .select(['subscriber_id', 'edition_id'])
      .where('type', '=', 'unsubscribed')
      .where('subscriber_id', 'in', [READERS.ada, READERS.ben])
      .orderBy('id')
      .execute();
    expect(events.filter((e) => e.subscriber_id === READERS.ada).at(-1)).toEqual({
      subscriber_id: READERS.ada,
      edition_id: SENDING_EDITION,
    });
    expect(events.filter((e) => e.subscriber_id === READERS.ben).at(-1)).toEqual({ subscriber_id: READERS.ben, edition_id: null });
  } finally {
    await server.close();
  }
}

/** What a worker of 0.1.0 did for one message: hand it to the relay, then record it as its markSent did. */
async function finishAs010(db: Db, sink: SmtpSink, delivery: { id: number; to: string; messageId: string }): Promise<number> {
  const relay = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  await relay.sendMail({
    from: 'digest@example.com',
    to: delivery.to,
    subject: 'Daily Digest: Rust 2.0 released',
    text: '…',
    messageId: delivery.messageId,
  });
  relay.close();
  const r = await sql`
    UPDATE deliveries d
       SET status = 'sent', sent_at = now(), message_id = u.message_id, lease_until = NULL, error = NULL
      FROM unnest(${[delivery.id]}::bigint[], ${[delivery.messageId]}::text[]) AS u(id, message_id)
     WHERE d.id = u.id AND d.status IN ('sending', 'retry', 'queued')`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** The migration's session waiting for a lock on `stories` (held by the test). */
const WAITING_ON_STORIES = `
  SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
   WHERE c.relname = 'stories' AND NOT l.granted
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

function tempDir(prefix: string): { dir: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, close: () => rmSync(dir, { recursive: true, force: true }) };
}

describe(`upgrading a ${OLDEST.version} database to today's migrations`, () => {
  const track = useCleanup();

  it('PostgreSQL, beside workers: they refuse the old schema until migrate commits, then finish the edition being sent; no row, link or message lost or repeated', async () => {
    const sink = track(await startSmtpSink());
    const old = track(await emptyPostgres());
    const release = track(releaseMigrationsDir(OLDEST));
    expect(await migrate(old.db, release.dir)).toEqual(OLDEST.migrations.map((m) => m.name));
    await fillRelease010(old.db, { heldLeaseSeconds: 600 });
    const before = await snapshot(old.db);
    // Today's code signs as 0.1.0 did: the same bytes for the same reader.
    for (const [name, token] of Object.entries(LINKS_FROM_010)) {
      const [purpose, , fields] = token.split('.') as [TokenPurpose, string, string];
      const [id, version, edition] = fields.split('-').map((f) => parseInt(f, 36)) as [number, number, number | undefined];
      expect(signToken(config.keys, purpose, { subscriberId: id, version, editionId: edition }), name).toBe(token);
    }
    const links = [...linksOf(before), ...linksFrom010(before)];

    // A worker of today's release, kept running as the shipped systemd unit does (restarted on failure).
    const data = track(tempDir('digest-upgrade-'));
    const workers = new Supervisor(['worker'], {
      DATABASE_URL: old.url,
      SMTP_URL: sink.url,
      SECRET: UPGRADE_SECRET,
      DATA_DIR: data.dir,
      PUBLIC_URL,
      MAIL_FROM,
      WORKERS: '1',
      LOG_LEVEL: 'warn',
    });
    track({ close: () => workers.kill() });
    workers.start();
    await until('the first worker to exit', () => workers.runs[0]!.code !== undefined, 30_000);
    expect(workers.runs[0]!.code, workers.runs[0]!.process.output()).toBe(1);
    expect(workers.runs[0]!.process.output()).toMatch(refusal);

    // The migration, held at 060 by a session reading stories, so workers start while it runs.
    const blocker = await rawClient(old.url);
    track({ close: () => blocker.end() });
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE stories IN SHARE MODE');
    const migrating = migrate(old.db);
    migrating.catch(() => undefined);
    await until(
      'the migration to wait for stories',
      async () => (await blocker.query<{ n: number }>(WAITING_ON_STORIES)).rows[0]!.n > 0,
      20_000,
    );
    const heldAt = Date.now();
    // Meanwhile the last 0.1.0 worker, stopping, finishes the message it had claimed.
    expect(await finishAs010(old.db, sink, { id: 2007, to: 'gus@example.com', messageId: '<digest.2.2007@example.com>' })).toBe(1);
    await until(
      'a worker started during the migration to refuse',
      () => workers.runs.some((r) => r.startedAt > heldAt && r.code === 1),
      30_000,
    );
    // Nothing claimed or sent by the refused workers.
    expect(sink.messages.map((m) => m.to[0])).toEqual(['gus@example.com']);
    const during = await old.db
      .selectFrom('deliveries')
      .select(['id', 'status', 'attempts'])
      .where('edition_id', '=', SENDING_EDITION)
      .orderBy('id')
      .execute();
    expect(during.filter((d) => d.id !== 2007)).toEqual(
      before.deliveries
        .filter((d) => d.edition_id === SENDING_EDITION && d.id !== 2007)
        .map((d) => ({ id: d.id, status: d.status, attempts: d.attempts })),
    );
    await blocker.query('ROLLBACK');
    expect(await migrating).toEqual(NEW);
    expect((await migrationState(old.db)).pending).toEqual([]);
    await expectLinksFindTheirReaders(old.db, links);

    await until(
      'edition 2 sent to every reader',
      async () => sink.messages.length >= EDITION_2_RECIPIENTS.length && (await waitingDeliveries(old.db)) === 0,
      60_000, // the workers' supervised restart after migrate, on a loaded CI machine
    );
    expect(await workers.stop()).toBe(0);
    // Every start before the migration committed refused; the one after it ran until stopped.
    expect(workers.runs.slice(0, -1).map((r) => r.code)).toEqual(workers.runs.slice(0, -1).map(() => 1));

    await expectEditionSentOnce(old.db, before, sink, [2007]);
    // Gus's copy is the one 0.1.0 sent (its Message-ID shape), kept through the migration.
    expect(tally(sink).byRecipient.get('gus@example.com')!.ids).toEqual(new Set(['<digest.2.2007@example.com>']));
    await expectRowsKept(old.db, before);
    await expectLinksWorkOnThePages(old, sink);
  });

  // With DATABASE_URL set (.ci/run's PostgreSQL pass) database tests run on PostgreSQL only.
  it.runIf(ENGINES.includes('pglite'))(
    'embedded (PGlite): a stopped 0.1.0 DATA_DIR is refused by `digest worker`, upgraded by `digest migrate`, and the edition being sent is finished; nothing lost or repeated',
    async () => {
      const sink = track(await startSmtpSink());
      const release = track(releaseMigrationsDir(OLDEST));
      const data = track(tempDir('digest-upgrade-'));
      // SECRET unset, as on most embedded installs: the one 0.1.0 generated lives in DATA_DIR.
      writeFileSync(join(data.dir, 'secret'), `${UPGRADE_SECRET}\n`, { mode: 0o600 });
      let before: Snapshot;
      let links: Link[];
      {
        const old = await openDatabase({ dataDir: data.dir, command: 'serve' });
        try {
          expect(await migrate(old.db, release.dir)).toEqual(OLDEST.migrations.map((m) => m.name));
          // Stopped for the upgrade by kill -9 in the middle of the send: its claims' leases run out by themselves.
          await fillRelease010(old.db, { heldLeaseSeconds: 3 });
          before = await snapshot(old.db);
          links = [...linksOf(before), ...linksFrom010(before)];
        } finally {
          await old.close();
        }
      }
      const env = { DATA_DIR: data.dir, SMTP_URL: sink.url, PUBLIC_URL, MAIL_FROM, LOG_LEVEL: 'warn' };

      const refused = await runDigest(['worker'], env);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr.trim()).toMatch(refusal);
      const migrated = await runDigest(['migrate'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toContain(`database is up to date (pglite): applied ${NEW.join(', ')}`);

      const worker = spawnDigest(['worker'], env);
      track({ close: () => void (worker.exitCode === null && worker.signalCode === null && worker.kill('SIGKILL')) });
      await until('edition 2 sent to every reader', () => sink.messages.length >= EDITION_2_RECIPIENTS.length, 30_000);
      worker.kill('SIGTERM');
      expect(await withTimeout(worker.exited, 25_000, 'worker to stop'), worker.output()).toBe(0);

      const upgraded = track(await openDatabase({ dataDir: data.dir, command: 'serve' }));
      expect((await migrationState(upgraded.db)).pending).toEqual([]);
      await expectLinksFindTheirReaders(upgraded.db, links);
      expect(await waitingDeliveries(upgraded.db)).toBe(0);
      await expectEditionSentOnce(upgraded.db, before, sink);
      await expectRowsKept(upgraded.db, before);
      await expectLinksWorkOnThePages(upgraded, sink);
    },
  );
});

/**
 * The list logic on its own, on PostgreSQL (the embedded engine runs the same SQL, and the 0.1.0
 * upgrade above runs on it end to end; an initdb per release would cost seconds each).
 */
describe('every earlier release', () => {
  const track = useCleanup();
  const earlier: Release[] = RELEASES.slice(0, -1);

  it.each(earlier.map((r) => [r.version, r] as const))(
    'a %s database gets exactly the migrations it lacks, in order',
    async (_v, release) => {
      const dir = track(releaseMigrationsDir(release));
      const database = track(await emptyPostgres());
      const shipped = release.migrations.map((m) => m.name);
      expect(await migrate(database.db, dir.dir)).toEqual(shipped);
      expect(await migrate(database.db)).toEqual(TODAY.filter((n) => !shipped.includes(n)));
      expect(await migrationState(database.db)).toEqual({ applied: TODAY, pending: [], unknown: [] });
    },
  );
});
