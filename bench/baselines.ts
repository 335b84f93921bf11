/**
 * The send's two yardsticks, on a sample of the same readers and the same stories:
 *   - the naive way: MJML for every reader, then sendMail awaited one at a time over one connection;
 *   - the wire limit: the messages built beforehand, written by a pipelining raw client
 *     (bench/wire-client.ts) for a fixed time: what the sink and the loopback can take.
 * The sample is prepared before the send (the stories the edition will pick, edition id 1), so the
 * wire limit can run both before and after it.
 */
import type { ChildProcess } from 'node:child_process';
import nodemailer from 'nodemailer';
import { loadConfig, type Config } from '../src/config/index.js';
import type { Db, Story } from '../src/db/index.js';
import { deliveryMessageId } from '../src/delivery/index.js';
import { editionWindow, pickForEdition } from '../src/editions/index.js';
import { compileMessageTemplate, personalise, renderEdition } from '../src/render/index.js';
import { preferencesUrl, unsubscribeUrl } from '../src/subscribers/index.js';
import { ask, machineBusySeconds, sinkCpuSeconds, type SinkStats } from './send-process.js';
import { sendAtWireLimit, type WireMessage } from './wire-client.js';

interface SampleReader {
  id: number;
  email: string;
  name: string | null;
  token_version: number;
  sections: string[];
}

export interface Sample {
  config: Config;
  readers: SampleReader[];
  base: { date: string; site: { name: string; postalAddress: string }; publicUrl: string; stories: Story[]; blogs: Story[] };
  links: (r: SampleReader) => { unsubscribeUrl: string; preferencesUrl: string };
  /** Every sample reader's whole message, as the project's template builds it. */
  wireMessages: WireMessage[];
}

/** The edition id the sample's links carry: the bench database's first edition is 1. */
const EDITION_ID = 1;

export async function prepareSample(db: Db, o: { date: string; cron: string; size: number; dataDir: string }): Promise<Sample> {
  const config = loadConfig({
    PUBLIC_URL: 'https://digest.example.com',
    SECRET: 'bench-secret-0123456789abcdef',
    MAIL_FROM: 'The Bench Post <digest@bench-sender.example>',
    DATA_DIR: o.dataDir,
  });
  const window = editionWindow(o.date, o.cron, 'UTC');
  const pick = await pickForEdition(
    db,
    { window_start: window.start, window_end: window.end, date: o.date, kind: 'daily' },
    config.sections,
  );
  const readers = (await db
    .selectFrom('subscribers')
    .select(['id', 'email', 'name', 'token_version', 'sections'])
    .orderBy('id')
    .limit(o.size)
    .execute()) as SampleReader[];
  const base = {
    date: o.date,
    site: { name: config.site.name, postalAddress: config.site.postalAddress },
    publicUrl: config.publicUrl,
    stories: pick.stories,
    blogs: pick.blogs,
  };
  const links = (r: SampleReader) => ({
    unsubscribeUrl: unsubscribeUrl(config, { id: r.id, token_version: r.token_version }, EDITION_ID),
    preferencesUrl: preferencesUrl(config, { id: r.id, token_version: r.token_version }, EDITION_ID),
  });
  const rendered = await renderEdition(base);
  const template = await compileMessageTemplate({
    from: config.mailFrom,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
  });
  const wireMessages: WireMessage[] = readers.map((r, i) => ({
    from: 'digest@bench-sender.example',
    to: r.email,
    raw: template({
      name: r.name,
      ...links(r),
      to: r.email,
      messageId: deliveryMessageId(1_000_000_000 + i, EDITION_ID, 'bench-sender.example', config.installId),
    })!,
  }));
  return { config, readers, base, links, wireMessages };
}

export interface NaiveRun {
  messages: number;
  ms: number;
  rate: number;
  sinkAccepted: number;
}

/** The naive way: MJML for every reader, then sendMail awaited one at a time over one connection. */
export async function naiveSend(sample: Sample, sinkPort: number, sink: ChildProcess): Promise<NaiveRun> {
  await ask(sink, 'reset');
  const transport = nodemailer.createTransport({ pool: true, maxConnections: 1, host: '127.0.0.1', port: sinkPort, ignoreTLS: true });
  const t = performance.now();
  for (const r of sample.readers) {
    const rendered = await renderEdition({ ...sample.base, sections: r.sections as ('stories' | 'blogs')[] });
    const l = sample.links(r);
    const parts = personalise(rendered, { name: r.name, ...l });
    await transport.sendMail({
      from: sample.config.mailFrom,
      to: r.name ? { name: r.name, address: r.email } : r.email,
      subject: rendered.subject,
      html: parts.html,
      text: parts.text,
      headers: {
        'List-Unsubscribe': { prepared: true, value: `<${l.unsubscribeUrl}>` },
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
  }
  const ms = performance.now() - t;
  transport.close();
  const s = await ask<SinkStats>(sink, 'stats');
  return { messages: sample.readers.length, ms, rate: sample.readers.length / (ms / 1000), sinkAccepted: s.messages };
}

export interface WireRun {
  /** When it ran: 'before' or 'after' the project's send. */
  when: string;
  messages: number;
  ms: number;
  rate: number;
  sinkAccepted: number;
  /** CPU per message of the client (this process) and of the sink. */
  clientCpuMsPerMessage: number;
  sinkCpuMsPerMessage: number;
  /** Cores the machine's other processes kept busy meanwhile, on average. */
  otherCores: number;
}

/**
 * The wire limit for `seconds`: the sample's messages over and over, pipelined over `connections`,
 * after `warmUpSeconds` unmeasured (the first two seconds run at about half the rate: JIT, the
 * idle machine waking up).
 */
export async function wireLimit(
  sample: Sample,
  sinkPort: number,
  sink: ChildProcess,
  o: { seconds: number; connections: number; when: string; warmUpSeconds?: number },
): Promise<WireRun> {
  await sendAtWireLimit(sinkPort, sample.wireMessages, o.connections, { durationMs: (o.warmUpSeconds ?? 3) * 1000 });
  await ask(sink, 'reset');
  const before = await ask<SinkStats>(sink, 'stats');
  const busy = machineBusySeconds();
  const cpu = process.cpuUsage();
  const run = await sendAtWireLimit(sinkPort, sample.wireMessages, o.connections, { durationMs: o.seconds * 1000 });
  const clientCpuS = cpuSeconds(process.cpuUsage(cpu));
  const busyS = machineBusySeconds() - busy;
  const s = await ask<SinkStats>(sink, 'stats');
  const sinkCpuS = sinkCpuSeconds(s) - sinkCpuSeconds(before);
  await ask(sink, 'reset');
  return {
    when: o.when,
    messages: run.sent,
    ms: run.ms,
    rate: run.sent / (run.ms / 1000),
    sinkAccepted: s.messages,
    clientCpuMsPerMessage: (clientCpuS * 1000) / run.sent,
    sinkCpuMsPerMessage: (sinkCpuS * 1000) / run.sent,
    otherCores: Math.max(0, busyS - clientCpuS - sinkCpuS) / (run.ms / 1000),
  };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Mean rate and spread ((max − min) / mean) of several wire runs, and their mean CPU per message. */
export function wireSummary(runs: readonly WireRun[]): { mean: number; spread: number; cpuMsPerMessage: number } {
  const rates = runs.map((r) => r.rate);
  const mean = meanOf(rates);
  return {
    mean,
    spread: rates.length ? (Math.max(...rates) - Math.min(...rates)) / mean : 0,
    cpuMsPerMessage: meanOf(runs.map((r) => r.clientCpuMsPerMessage + r.sinkCpuMsPerMessage)),
  };
}
