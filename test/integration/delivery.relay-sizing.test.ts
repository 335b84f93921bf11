import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { digestMessageSource, type Outcome, RelayWatch } from '../../src/delivery/index.js';
import { pipelinedSender, type PipelinedSender } from '../../src/delivery/smtp/pipelined-sender.js';
import type { PipelineOptions } from '../../src/delivery/smtp/smtp-pipeline.js';
import { dailySpecs, prepareEdition, runEdition } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { type SmtpSink, type SmtpSinkOptions, startSmtpSink } from '../helpers/smtp-sink.js';

/**
 * The pipeline sized by the relay (issue 17), against a real SMTP server on loopback: more
 * connections to a relay far away, fewer when it refuses connections, paced (not fewer) when it
 * rate-limits messages, and every message delivered exactly once through all of it. Nothing here is judged by wall time:
 * pauses are checked on the relay's own record of when each connection spoke.
 */
const THROTTLED = { code: 454, message: 'Throttling failure: Maximum sending rate exceeded.' };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function sinkWith(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const sink = await startSmtpSink(options);
  cleanup.push(() => sink.close());
  return sink;
}

function senderFor(sink: SmtpSink, options: Partial<PipelineOptions> = {}): PipelinedSender {
  const sender = pipelinedSender({
    host: '127.0.0.1',
    port: sink.port,
    secure: false,
    ignoreTLS: true,
    maxConnections: 16,
    idleMs: 500,
    ...options,
  });
  cleanup.push(() => sender.close());
  return sender;
}

const raw = (to: string) => Buffer.from(`From: a@example.com\r\nTo: ${to}\r\nSubject: test\r\nMessage-ID: <${to}>\r\n\r\nHello.\r\n`);
const readers = (n: number) => Array.from({ length: n }, (_, i) => `reader${String(i).padStart(4, '0')}@example.com`);

/** Sends to every address at once (as the worker hands a window over) and returns the outcomes. */
async function sendAll(sender: PipelinedSender, addresses: readonly string[]): Promise<Outcome[]> {
  return Promise.all(addresses.map((to) => sender.send({ from: 'bounces@example.com', to, raw: raw(to) })));
}

/** Recipient → copies received. */
function received(sink: SmtpSink): Map<string, number> {
  const byTo = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.to) byTo.set(to, (byTo.get(to) ?? 0) + 1);
  return byTo;
}

describe('the pipeline sized by the relay', () => {
  it('opens more connections to a relay 40 ms away, never more than SMTP_MAX_CONNECTIONS, each message once', async () => {
    const sink = await sinkWith({ latencyMs: 40 });
    const sender = senderFor(sink, { maxConnections: 16 });
    const to = readers(200);
    const outcomes = await sendAll(sender, to);
    expect(outcomes.every((o) => o.outcome === 'sent')).toBe(true);
    expect([...received(sink).entries()].sort()).toEqual(to.map((a) => [a, 1]));
    const stats = sender.stats();
    // The relay's 40 ms timer, measured on another clock: a millisecond or two of slack.
    expect(stats.roundTripMs).toBeGreaterThanOrEqual(35);
    expect(stats.target).toBe(16);
    expect(sink.peakConnections()).toBeGreaterThan(4);
    expect(sink.peakConnections()).toBeLessThanOrEqual(16);
    expect(stats.peakConnections).toBeLessThanOrEqual(16);
  }, 60_000);

  it('a relay that allows 3 connections: the rest are refused, nothing is failed, the relay is never judged down', async () => {
    const sink = await sinkWith({ maxClients: 3, latencyMs: 20 });
    const sender = senderFor(sink, { maxConnections: 16, regrowCapMs: 200 });
    const relay = new RelayWatch(sender, { url: sink.url, log: silentLogger, downAfter: 1 });
    const changes: boolean[] = [];
    relay.onChange((s) => changes.push(s.up));
    const to = readers(150);
    const outcomes = await Promise.all(
      to.map(async (a) => {
        const o = await sender.send({ from: 'bounces@example.com', to: a, raw: raw(a) });
        relay.note(o);
        return o;
      }),
    );
    expect(outcomes.filter((o) => o.outcome !== 'sent')).toEqual([]);
    expect(changes).toEqual([]);
    expect([...received(sink).entries()].sort()).toEqual(to.map((a) => [a, 1]));
    expect(sink.peakConnections()).toBeLessThanOrEqual(3);
    const stats = sender.stats();
    expect(stats.refusedConnections).toBeGreaterThan(0);
    expect(stats.peakConnections).toBeLessThanOrEqual(3);
  }, 60_000);

  it('a connection refused for too many with none of ours open is the relay failing, as before', async () => {
    const sink = await sinkWith({ maxClients: 1 });
    // Someone else holds the relay's one connection.
    const other = connect(sink.port, '127.0.0.1');
    await once(other, 'data');
    cleanup.push(() => void other.destroy());
    const sender = senderFor(sink, { maxConnections: 4 });
    const [outcome] = await sendAll(sender, ['a@example.com']);
    expect(outcome).toMatchObject({ outcome: 'transient', relayDown: true });
    expect(sender.stats().refusedConnections).toBe(0);
    expect(sink.messages).toHaveLength(0);
  }, 60_000);

  it('a relay that rate-limits: each refused message is sent again on a later turn, once; the sender paces itself and keeps its connections', async () => {
    const refused = new Set<string>();
    const sink = await sinkWith({
      onRecipient(address, n) {
        if (n % 5 !== 0 || refused.has(address)) return undefined;
        refused.add(address);
        return THROTTLED;
      },
    });
    const sender = senderFor(sink, { maxConnections: 4, backoffMs: 150 });
    const to = readers(60);
    const outcomes = await sendAll(sender, to);
    expect(outcomes.filter((o) => o.outcome !== 'sent')).toEqual([]);
    expect([...received(sink).entries()].sort()).toEqual(to.map((a) => [a, 1]));
    expect(refused.size).toBeGreaterThan(5);
    const stats = sender.stats();
    expect(stats.rateLimited).toBe(refused.size);
    // "Go slower", not "go serial": no connection paused or dropped for it, the pacer slows them all.
    expect(stats.pauses).toBe(0);
    expect(sink.peakConnections()).toBeGreaterThanOrEqual(2);
    expect(stats.throttle).toMatchObject({ throttled: true, refused: refused.size, reason: expect.stringMatching(/^454 /) });
  }, 60_000);

  it('a message refused for too many connections: its connection pauses first and the pool takes one connection off', async () => {
    const refused = new Set<string>();
    const sink = await sinkWith({
      onRecipient(address, n) {
        if (n % 5 !== 0 || refused.has(address)) return undefined;
        refused.add(address);
        return { code: 451, message: '4.7.0 Too many concurrent sessions from your host' };
      },
    });
    const pauseMs = 150;
    const sender = senderFor(sink, { maxConnections: 4, backoffMs: pauseMs });
    const to = readers(60);
    const outcomes = await sendAll(sender, to);
    expect(outcomes.filter((o) => o.outcome !== 'sent')).toEqual([]);
    expect([...received(sink).entries()].sort()).toEqual(to.map((a) => [a, 1]));
    const stats = sender.stats();
    expect(stats.pauses).toBeGreaterThanOrEqual(refused.size);
    expect(stats.throttle.throttled).toBe(false);
    // On the relay's record: after each refusal, the same connection says nothing more for a pause.
    const rcpts = sink.recipients;
    let checked = 0;
    rcpts.forEach((r, i) => {
      if (r.code !== 451) return;
      const next = rcpts.slice(i + 1).find((later) => later.connection === r.connection);
      if (!next) return;
      checked += 1;
      expect(next.at - r.at, `${r.connection} after refusing ${r.address}`).toBeGreaterThanOrEqual(pauseMs - 5);
    });
    expect(checked).toBeGreaterThan(0);
  }, 60_000);

  it('a message the relay keeps rate-limiting is refused to the worker after a few turns, as a transient failure', async () => {
    const sink = await sinkWith({ onRecipient: (address) => (address.startsWith('stuck') ? THROTTLED : undefined) });
    const sender = senderFor(sink, { maxConnections: 2, backoffMs: 20, backoffMaxMs: 40 });
    const [stuck, ok] = await sendAll(sender, ['stuck@example.com', 'fine@example.com']);
    expect(ok).toEqual({ outcome: 'sent' });
    expect(stuck).toMatchObject({ outcome: 'transient', relayDown: false });
    expect(sink.recipients.filter((r) => r.address === 'stuck@example.com')).toHaveLength(6);
  }, 60_000);

  it('a 421 rate limit closes the connection: the message is sent on a new one, and the pacer, not a pause, slows the send', async () => {
    const sink = await sinkWith({
      onRecipient: (_address, n) => (n === 3 ? { code: 421, message: '4.7.0 Try again later, closing connection.' } : undefined),
    });
    const sender = senderFor(sink, { maxConnections: 1, backoffMs: 150 });
    const to = readers(6);
    const outcomes = await sendAll(sender, to);
    expect(outcomes.filter((o) => o.outcome !== 'sent')).toEqual([]);
    expect([...received(sink).entries()].sort()).toEqual(to.map((a) => [a, 1]));
    const i = sink.recipients.findIndex((r) => r.code === 421);
    expect(sink.recipients[i + 1]!.connection).not.toBe(sink.recipients[i]!.connection);
    const stats = sender.stats();
    expect(stats.pauses).toBe(0);
    expect(stats.throttle).toMatchObject({ throttled: true, refused: 1, reason: expect.stringMatching(/^421 4\.7\.0 Try again later/) });
  }, 60_000);

  it('a message whose connection is lost after its body is never resent inside the pipeline: uncertain', async () => {
    const sink = await sinkWith({ onData: ({ to }) => (to[0] === 'lost@example.com' ? 'keep-and-drop' : undefined) });
    const sender = senderFor(sink, { maxConnections: 2 });
    const [lost] = await sendAll(sender, ['lost@example.com']);
    expect(lost).toMatchObject({ outcome: 'uncertain' });
    expect(await sendAll(sender, ['fine@example.com'])).toEqual([{ outcome: 'sent' }]);
    expect(received(sink).get('lost@example.com')).toBe(1);
    expect(sender.stats().rateLimited).toBe(0);
  }, 60_000);
});

describe.each(ENGINES)('a send through the worker to a relay that rate-limits, on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('ends with every delivery sent on its first attempt, none to retry, each reader mailed once', async () => {
    const refused = new Set<string>();
    const sink = await sinkWith({
      latencyMs: 5,
      onRecipient(address, n) {
        if (n % 5 !== 0 || refused.has(address)) return undefined;
        refused.add(address);
        return THROTTLED;
      },
    });
    t = await createTestDatabase(engine);
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron, SMTP_MAX_CONNECTIONS: '4' });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 40);
    const { edition } = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, {
      now: new Date(),
    });
    const sender = senderFor(sink, { maxConnections: 4, backoffMs: 100 });
    const counts = await runEdition({ db: t.db, config, log: silentLogger, sender, messages: digestMessageSource(t.db, config) }, edition, {
      workers: 1,
      workerOptions: { idleMs: 20, batchSize: 10 },
    });
    expect(counts).toMatchObject({ sent: 40, retry: 0, failed: 0, queued: 0, sending: 0 });
    const rows = await t.db.selectFrom('deliveries').select(['status', 'attempts']).where('edition_id', '=', edition.id).execute();
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    expect(refused.size).toBeGreaterThan(0);
    expect(sender.stats().rateLimited).toBe(refused.size);
    const byTo = received(sink);
    expect(byTo.size).toBe(40);
    expect([...byTo.values()].every((n) => n === 1)).toBe(true);
  }, 120_000);
});
