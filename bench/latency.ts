/**
 * The send against a relay far away: a sink that writes every reply L ms late (SINK_LATENCY_MS), and
 * the real `digest send` at several SMTP_MAX_CONNECTIONS on the same readers (the edition and its
 * deliveries are deleted between runs). On loopback a round trip costs nothing; to a relay 50 ms
 * away it costs 50 ms per message and connection, so the number of connections sets the rate.
 * Each row sends to enough readers to run about 12 s at its ideal rate (connections × 1000 / L msg/s),
 * at least --latency-readers: with a fixed 4,000 the 64-connection row lasted 6 s, half of it the
 * pool's ramp-up and the edition's tail, and showed 625 msg/s where a 20,000-reader send holds 1,086.
 */
import { sql } from 'kysely';
import { createBenchDatabase, deliveryCounts, editionClock, fill, type Engine } from './bench-data.js';
import { ask, runDigestSend, sinkCpuSeconds, startSink, type SinkStats } from './send-process.js';

export interface LatencyRow {
  /** SMTP_MAX_CONNECTIONS of the sender. */
  connections: number;
  /** Readers of this row's send. */
  readers: number;
  sendingMs: number;
  /** Messages per second in the sending stage (edition.sending → edition.sent). */
  rate: number;
  /** Minutes a million readers would take at that rate. */
  minutesPerMillion: number;
  /** The most connections the sink had open at once, and how many it refused. */
  peakConnections: number;
  connectionsOpened: number;
  /** The sender's own account at edition.sent (its peak connections, the round trip it measured). */
  senderSmtp: Record<string, number> | undefined;
  senderCpuMsPerMessage: number;
  sinkCpuMsPerMessage: number;
  exactlyOnce: boolean;
  exitCode: number | null;
}

export interface LatencyResult {
  latencyMs: number;
  /** The least readers of a row (--latency-readers); each row's own count is in `rows`. */
  readers: number;
  rows: LatencyRow[];
}

export interface LatencyOptions {
  engine: Engine;
  adminUrl: string;
  readers: number;
  latencyMs: number;
  connections: readonly number[];
  log: (line: string) => void;
}

export async function latencySection(o: LatencyOptions): Promise<LatencyResult> {
  const { sendAt, date, cron } = editionClock();
  const database = await createBenchDatabase(o.engine, o.adminUrl, 'latency');
  const sink = await startSink({ SINK_LATENCY_MS: String(o.latencyMs) });
  const rows: LatencyRow[] = [];
  const readersFor = (connections: number) => Math.max(o.readers, Math.round(((connections * 1000) / Math.max(1, o.latencyMs)) * 12));
  const most = Math.max(...o.connections.map(readersFor));
  try {
    let opened = await database.open();
    try {
      await fill(opened.db, most, sendAt);
      if (o.engine === 'postgres') await sql`VACUUM ANALYZE subscribers`.execute(opened.db);
    } finally {
      await opened.close();
    }
    for (const connections of o.connections) {
      const readers = readersFor(connections);
      // This row's readers are the first `readers` of the fill; the others sit out as unsubscribed.
      opened = await database.open();
      try {
        await sql`UPDATE subscribers SET status = CASE WHEN id <= ${readers} THEN 'active' ELSE 'unsubscribed' END`.execute(opened.db);
      } finally {
        await opened.close();
      }
      await ask(sink.child, 'reset');
      const before = await ask<SinkStats>(sink.child, 'stats');
      o.log(`relay ${o.latencyMs} ms away: digest send to ${readers} readers at SMTP_MAX_CONNECTIONS=${connections} …`);
      const run = await runDigestSend({
        sink,
        readers,
        dataDir: database.dataDir,
        dbUrl: database.url,
        pg: database.url ? { adminUrl: o.adminUrl, dbName: database.name } : undefined,
        date,
        cron,
        env: { SMTP_MAX_CONNECTIONS: String(connections) },
        stderrLog: `latency-${connections}.stderr.log`,
      });
      const s = await ask<SinkStats>(sink.child, 'stats');
      opened = await database.open();
      let exactlyOnce: boolean;
      try {
        const sent = (await deliveryCounts(opened.db)).find((c) => c.status === 'sent')?.n ?? 0;
        exactlyOnce = s.distinct === readers && s.duplicates === 0 && s.messages === readers && sent === readers;
        // The next run sends the same edition to the same readers again.
        await sql`DELETE FROM editions`.execute(opened.db);
      } finally {
        await opened.close();
      }
      const rate = readers / (run.sendingMs / 1000);
      const row: LatencyRow = {
        connections,
        readers,
        sendingMs: run.sendingMs,
        rate,
        minutesPerMillion: 1e6 / rate / 60,
        peakConnections: s.connections.peak,
        connectionsOpened: s.connections.accepted,
        senderSmtp: run.smtp,
        senderCpuMsPerMessage: (run.senderCpuS * 1000) / readers,
        sinkCpuMsPerMessage: ((sinkCpuSeconds(s) - sinkCpuSeconds(before)) * 1000) / readers,
        exactlyOnce,
        exitCode: run.exitCode,
      };
      rows.push(row);
      o.log(
        `  ${Math.round(rate)} msg/s, peak ${row.peakConnections} connections open at the sink; ${s.messages} messages, ${s.distinct} distinct, ${s.duplicates} duplicates → ${exactlyOnce ? 'exactly once: OK' : 'NOT exactly once'}`,
      );
    }
  } finally {
    sink.child.disconnect();
    await database.drop();
  }
  return { latencyMs: o.latencyMs, readers: o.readers, rows };
}

export function formatLatency(r: LatencyResult): string {
  const head = [
    'SMTP_MAX_CONNECTIONS',
    'readers',
    'sending',
    'msg/s',
    '1M readers',
    'peak open conns',
    'conns opened',
    'sender: peak conns / round trip',
    'sender CPU/msg',
    'exactly once',
  ];
  const cells = r.rows.map((x) => [
    String(x.connections),
    x.readers.toLocaleString('en'),
    `${(x.sendingMs / 1000).toFixed(1)} s`,
    Math.round(x.rate).toLocaleString('en'),
    `${x.minutesPerMillion.toFixed(0)} min`,
    String(x.peakConnections),
    String(x.connectionsOpened),
    x.senderSmtp ? `${x.senderSmtp.peakConnections ?? '?'} / ${x.senderSmtp.roundTripMs ?? '?'} ms` : '',
    `${x.senderCpuMsPerMessage.toFixed(2)} ms`,
    x.exactlyOnce ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padStart(widths[i]!))).join('  ');
  return [
    `relay ${r.latencyMs} ms away (the sink writes every reply ${r.latencyMs} ms late), digest send to enough readers for about 12 s a row (at least ${r.readers.toLocaleString('en')}):`,
    line(head),
    ...cells.map(line),
  ].join('\n');
}
