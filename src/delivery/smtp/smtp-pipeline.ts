import { ConnectionBudget } from './connection-budget.js';
import { backoffMs, isConnectionLimit, mayRequeue, readPushback } from './relay-pushback.js';
import type { RateOptions } from './send-rate.js';
import { SendPacer, type ThrottleChange, type ThrottleStatus } from './send-pacer.js';
import { Connection, type ConnectionOptions, ok, opening, type Reply, SmtpSendError } from './smtp-connection.js';

export { dotStuffed, type OpenStage, SmtpSendError } from './smtp-connection.js';
export type { ThrottleChange, ThrottleStatus } from './send-pacer.js';

/**
 * The bulk sender: a small SMTP client that keeps connections busy with PIPELINING (RFC 2920). Per
 * message it writes the envelope (MAIL, RCPT, DATA) in one go, and the message body together with
 * the next message's envelope, so a connection costs one round trip per message and one socket
 * write; nodemailer's client costs about three times the CPU per message (streams per message, a
 * write per command). Relays that do not offer PIPELINING get the same commands one at a time.
 *
 * How many connections (connection-budget.ts): two to start, more while messages wait and the
 * measured round trip says the wire, not our CPU, is what limits (a relay 50 ms away: one message
 * per 50 ms per connection), never more than `maxConnections`. The relay's pushback
 * (relay-pushback.ts) is answered by the sender as a whole, not per message:
 * - a connection refused for too many while others of ours are open lowers the cap to those; its
 *   messages wait for them, nothing is failed and the relay is not judged down. A message refused
 *   for too many connections pauses its connection (1 s, doubled in a row up to 30 s) and the
 *   target loses a connection;
 * - a message refused for our rate ("454 Throttling failure") goes back to the front of the queue
 *   (it was refused, so a resend cannot duplicate it) and the pacer (send-pacer.ts, the rule in
 *   send-rate.ts) spaces every connection's messages to the rate the relay accepts: fewer messages
 *   a second, the same connections.
 * A message put back too often is refused to the worker. Only a definite 4xx reply puts a message
 * back: a connection lost after its body was written stays `uncertain` (the relay may have it).
 *
 * Failures are reported the way nodemailer reports them (code EENVELOPE / EMESSAGE / ECONNECTION /
 * ETIMEDOUT, the reply code and text), so smtp-reply.ts classifies both alike; in addition each
 * error says whether the message body had been written (`bodySent`), which this client knows: a
 * connection lost before that is `transient`, after it `uncertain`.
 *
 * Not here: DKIM signing and SMTP_RATE pacing (createSender() leaves those to nodemailer).
 */
export interface PipelineOptions extends ConnectionOptions {
  /** SMTP_MAX_CONNECTIONS: never more connections, whatever the round trip. */
  readonly maxConnections: number;
  /** An idle connection says QUIT after this long. */
  readonly idleMs?: number;
  /** Connections to have before a round trip is measured (default 2). */
  readonly minConnections?: number;
  /** Our CPU per message, which sizes the pool against the round trip (default 0.25 ms). */
  readonly perMessageMs?: number;
  /** A connection's first pause after pushback (default 1 s), doubled in a row up to `backoffMaxMs` (30 s). */
  readonly backoffMs?: number;
  readonly backoffMaxMs?: number;
  /** After a refusal for too many connections, one more is tried this long after (default 60 s). */
  readonly regrowCapMs?: number;
  /** The pacing while the relay throttles (send-rate.ts; tests shorten `quietMs`). */
  readonly pacing?: Partial<RateOptions>;
  /** The pipeline's clock, ms and monotonic (default performance.now). */
  readonly now?: () => number;
}

export interface BulkMessage {
  /** Envelope sender and the one recipient. */
  readonly from: string;
  readonly to: string;
  /** The whole message, CRLF line ends. */
  readonly raw: Buffer;
}

/** The pool as metrics and logs show it. */
export interface PipelineStats {
  /** Connections open now (opened and not yet closed). */
  readonly connections: number;
  /** Connections being opened now. */
  readonly opening: number;
  /** Connections the pool aims for: the round trip's worth, within the cap and rate limits. */
  readonly target: number;
  /** The cap in force: maxConnections, or fewer after the relay refused connections for too many. */
  readonly cap: number;
  /** Moving average of a message's round trip (body written to its reply read), ms. */
  readonly roundTripMs: number | undefined;
  /** Connections pausing after pushback now. */
  readonly backingOff: number;
  /** Messages refused for our rate and put back in the queue, since the start. */
  readonly rateLimited: number;
  /** Whether the relay throttles us now, and the rate the sender paces to. */
  readonly throttle: ThrottleStatus;
  /** Pauses of a connection after a refusal for too many connections, since the start. */
  readonly pauses: number;
  /** Connections refused for too many while others were open, since the start. */
  readonly refusedConnections: number;
  /** The most connections open at once, since the start. */
  readonly peakConnections: number;
}

interface Job {
  readonly message: BulkMessage;
  readonly resolve: () => void;
  readonly reject: (err: SmtpSendError) => void;
  /** Times put back in the queue after pushback, and when first. */
  requeues: number;
  firstRequeuedAt: number | undefined;
  /** When its body was written (the pipeline's clock): the round trip is measured from here. */
  bodyAt: number;
}

/** What became of a message whose reply was read: `pushback` pauses its connection, `throttled` does not. */
type Settled = 'sent' | 'refused' | 'pushback' | 'throttled';

export class PipelinedSmtp {
  private readonly queue: Job[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly connections = new Set<Connection>();
  private readonly budget: ConnectionBudget;
  private readonly pacer: SendPacer;
  private readonly now: () => number;
  /** Connection loops: each opens one connection and sends on it until it is idle or closed. */
  private running = 0;
  private opening = 0;
  private open = 0;
  private peak = 0;
  private rateLimited = 0;
  private pauses = 0;
  private refusedConnections = 0;
  private readonly backingOff = new Set<() => void>();
  /** No connection is opened before this: one closed by the relay's too-many-connections 421 waits out its pause. */
  private reopenAt = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly o: PipelineOptions) {
    this.now = o.now ?? (() => performance.now());
    this.budget = new ConnectionBudget({
      cap: o.maxConnections,
      min: o.minConnections,
      perMessageMs: o.perMessageMs,
      regrowCapMs: o.regrowCapMs,
      rateLimitWindowMs: o.backoffMs,
    });
    this.pacer = new SendPacer({ now: this.now, rate: o.pacing });
  }

  /** Told when the relay starts and stops throttling us (relay-watch.ts logs it). */
  onThrottle(listener: (change: ThrottleChange) => void): void {
    this.pacer.onChange(listener);
  }

  /** Resolves once the relay answered 250 to the message; rejects with an SmtpSendError. */
  send(message: BulkMessage): Promise<void> {
    if (this.closing) return Promise.reject(new SmtpSendError('sender closed', 'ECONNECTION', false));
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject, requeues: 0, firstRequeuedAt: undefined, bodyAt: 0 });
      this.dispatch();
    });
  }

  stats(): PipelineStats {
    return {
      connections: this.open,
      opening: this.opening,
      target: this.budget.target(this.now()),
      cap: this.budget.cap,
      roundTripMs: this.budget.roundTripMs,
      backingOff: this.backingOff.size,
      rateLimited: this.rateLimited,
      throttle: this.pacer.status(),
      pauses: this.pauses,
      refusedConnections: this.refusedConnections,
      peakConnections: this.peak,
    };
  }

  /**
   * Opens one connection of its own, says EHLO (STARTTLS and AUTH as configured) and quits: throws
   * an SmtpSendError whose `duringOpen` names the step that failed.
   */
  async verify(): Promise<void> {
    const conn = new Connection(this.o);
    try {
      await conn.open();
    } catch (e) {
      throw opening(e, conn.stage);
    } finally {
      conn.quit();
      conn.destroy();
    }
  }

  close(): void {
    this.closing = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    for (const wake of this.idle.splice(0)) wake();
    for (const stop of [...this.backingOff]) stop();
    this.pacer.close();
    for (const c of this.connections) c.quit();
    // Waiting for a reopen with no connection left: nobody else will settle them.
    if (this.running === 0) this.rejectQueued();
  }

  private rejectQueued(): void {
    for (const job of this.queue.splice(0)) job.reject(new SmtpSendError('sender closed', 'ECONNECTION', false));
  }

  /** The head of the queue to a connection waiting for work, else perhaps a new connection. */
  private dispatch(): void {
    const wake = this.idle.shift();
    if (wake) wake();
    else this.grow();
  }

  /**
   * Opens connections while messages wait and the budget allows. Openings in parallel are at most
   * the connections already open (one at first): the first tells whether the relay is there at all,
   * and a refusal for too many connections always finds open ones to leave the messages to.
   */
  private grow(): void {
    if (this.closing || this.queue.length === 0 || this.idle.length > 0 || this.running >= this.o.maxConnections) return;
    const now = this.now();
    if (now < this.reopenAt) {
      this.reopenTimer ??= setTimeout(() => {
        this.reopenTimer = undefined;
        this.grow();
      }, this.reopenAt - now);
      return;
    }
    const target = this.budget.target(now);
    while (this.queue.length > 0 && this.running < target && this.opening < Math.max(1, this.open)) void this.run();
  }

  /** The next job, or undefined when none came for `idleMs` (or the sender is closing). */
  private next(): Promise<Job | undefined> {
    const job = this.queue.shift();
    if (job || this.closing) return Promise.resolve(job);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(this.queue.shift());
      };
      const timer = setTimeout(() => {
        const i = this.idle.indexOf(wake);
        if (i >= 0) this.idle.splice(i, 1);
        resolve(undefined);
      }, this.o.idleMs ?? 5000);
      timer.unref();
      this.idle.push(wake);
    });
  }

  /** A connection's pause after pushback; cut short by close(). */
  private backOff(ms: number): Promise<void> {
    this.pauses += 1;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.backingOff.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.backingOff.add(done);
    });
  }

  private pauseMs(inARow: number): number {
    return backoffMs(inARow, this.o.backoffMs ?? 1000, this.o.backoffMaxMs ?? 30_000);
  }

  /**
   * An opening refused. With connections of ours open and a refusal for too many (a 421, pushback),
   * the relay has all it will take: the cap comes down to them and the messages wait for them.
   * Otherwise the relay cannot be used: the head of the queue is failed with `duringOpen`, which
   * the worker counts towards judging the relay down.
   */
  private refusedOpen(err: SmtpSendError): void {
    if (this.open > 0 && err.responseCode !== undefined && isConnectionLimit(err.responseCode, err.response ?? '')) {
      // Those open and the others still opening (this one aside) may be what the relay allows; an
      // opening refused in turn lowers the cap again.
      this.budget.noteTooManyConnections(this.open + this.opening - 1, this.now());
      this.refusedConnections += 1;
      return;
    }
    this.queue.shift()?.reject(err);
  }

  /**
   * A definite refusal of a message (a reply, never a lost connection). Pushback puts it back at the
   * front of the queue, within bounds (mayRequeue): a rate limit slows the pacer, which every
   * connection waits on; too many connections takes one connection off and tells the caller to
   * pause its own. Anything else, or a message put back too often, is rejected.
   */
  private refuse(job: Job, reply: Reply, err: SmtpSendError): Settled {
    const pushback = readPushback(reply.code, reply.text);
    if (pushback === 'none') {
      job.reject(err);
      return 'refused';
    }
    const now = this.now();
    if (pushback === 'rate-limit') this.pacer.throttled(reply.text);
    else this.budget.noteConnectionPushback(this.running, now);
    if (!mayRequeue({ requeues: job.requeues, firstAt: job.firstRequeuedAt }, now)) job.reject(err);
    else {
      job.requeues += 1;
      job.firstRequeuedAt ??= now;
      if (pushback === 'rate-limit') this.rateLimited += 1;
      this.queue.unshift(job);
      this.dispatch();
    }
    return pushback === 'rate-limit' ? 'throttled' : 'pushback';
  }

  /** One connection's life: open it, then take jobs while there are any, pipelining each body with the next envelope. */
  private async run(): Promise<void> {
    this.running += 1;
    this.opening += 1;
    const conn = new Connection(this.o);
    this.connections.add(conn);
    let opened = false;
    /** The job whose body was written and whose final reply has not been read yet. */
    let awaiting: Job | undefined;
    let needRset = false;
    /** Pushback replies in a row on this connection, and whether to pause before the next message. */
    let pushbacks = 0;
    let pause = false;
    const settled = (s: Settled) => {
      if (s === 'pushback') {
        pushbacks += 1;
        pause = true;
      } else if (s === 'sent') pushbacks = 0;
    };
    try {
      try {
        await conn.open();
      } catch (e) {
        this.refusedOpen(opening(e, conn.stage));
        return;
      } finally {
        this.opening -= 1;
      }
      opened = true;
      this.open += 1;
      this.peak = Math.max(this.peak, this.open);
      for (;;) {
        // With no next message waiting, read the last body's reply now rather than after the idle
        // wait: its 250 (and so its `sent` mark) must not sit unread for seconds at a send's tail,
        // where a crash would resend it. Likewise before a pause.
        if (awaiting && (this.queue.length === 0 || pause)) {
          const prev = awaiting;
          awaiting = undefined;
          settled(await this.finish(conn, prev));
          if (conn.closed) break;
        }
        if (pause) {
          pause = false;
          await this.backOff(this.pauseMs(pushbacks));
          if (conn.closed || this.closing) break;
        }
        // Fewer connections wanted (the relay pushed back): this one goes.
        if (this.running > this.budget.ceiling(this.now())) break;
        // The relay throttles: this connection's turn at the rate it accepts (the last reply read first).
        let wait = this.queue.length > 0 ? this.pacer.waitMs() : 0;
        if (wait > 0) {
          if (awaiting) {
            const prev = awaiting;
            awaiting = undefined;
            settled(await this.finish(conn, prev));
          }
          while (wait > 0 && !conn.closed && !this.closing) {
            await this.pacer.sleep(wait);
            wait = this.queue.length > 0 ? this.pacer.waitMs() : 0;
          }
          if (conn.closed || this.closing) break;
        }
        let job = await this.next();
        if (!job) break;
        if (this.queue.length > 0) this.grow();
        const m = job.message;
        const envelope = `${needRset ? 'RSET\r\n' : ''}MAIL FROM:<${m.from}>\r\nRCPT TO:<${m.to}>\r\nDATA\r\n`;
        const count = needRset ? 4 : 3;
        needRset = false;
        if (conn.pipelines) {
          conn.write(envelope);
        }
        if (awaiting) {
          const prev = awaiting;
          awaiting = undefined;
          settled(await this.finish(conn, prev));
        }
        let replies: Reply[];
        try {
          if (conn.pipelines) replies = await conn.expect(count, 'envelope');
          else replies = await this.lockstep(conn, envelope);
        } catch (e) {
          // A relay that refused the envelope and closed (a 421 at RCPT TO) answered: its refusal,
          // not the lost connection, is what became of the message (no body was written).
          const before = conn.leftover();
          const refusal = before.find((r) => !ok(r));
          if (!refusal) {
            job.reject(e as SmtpSendError);
            break;
          }
          replies = [...before, ...Array<Reply>(Math.max(0, count - before.length)).fill(refusal)];
        }
        const [mail, rcpt, data] = replies.slice(count - 3);
        if (!ok(mail) || !ok(rcpt) || data!.code !== 354) {
          const bad = !ok(mail) ? mail! : !ok(rcpt) ? rcpt! : data!;
          const err = conn.refused(
            bad,
            !ok(mail) || !ok(rcpt) ? 'EENVELOPE' : 'EMESSAGE',
            !ok(mail) ? 'MAIL FROM' : !ok(rcpt) ? 'RCPT TO' : 'DATA',
          );
          settled(this.refuse(job, bad, err));
          job = undefined;
          if (data!.code === 354) {
            // A relay that took DATA after refusing the envelope: end an empty message, then reset.
            conn.write('.\r\n');
            if (!(await conn.expect(1, 'end of data').catch(() => undefined))) break;
          }
          needRset = ok(mail);
          // 421: the relay is closing this connection; the next job gets a new one.
          if (conn.closed || bad.code === 421) break;
          continue;
        }
        conn.writeBody(m.raw);
        job.bodyAt = this.now();
        awaiting = job;
        if (!conn.pipelines) {
          awaiting = undefined;
          settled(await this.finish(conn, job));
        }
        if (conn.closed) break;
      }
    } finally {
      if (awaiting) settled(await this.finish(conn, awaiting));
      this.connections.delete(conn);
      if (opened) {
        this.open -= 1;
        conn.quit();
      } else conn.destroy();
      this.running -= 1;
      // Closed after a refusal for too many connections: no new connection before its pause is over.
      if (pause) this.reopenAt = Math.max(this.reopenAt, this.now() + this.pauseMs(pushbacks));
      // Jobs left with no connection to take them (this one failed or quit): open another.
      if (this.closing) this.rejectQueued();
      else this.grow();
    }
  }

  /** MAIL, RCPT, DATA one at a time, for relays without PIPELINING. */
  private async lockstep(conn: Connection, envelope: string): Promise<Reply[]> {
    const out: Reply[] = [];
    for (const command of envelope.split('\r\n').filter(Boolean)) {
      conn.write(`${command}\r\n`);
      const [r] = await conn.expect(1, command.split(' ')[0]!);
      out.push(r!);
      if (!ok(r) && r!.code !== 354 && !command.startsWith('RSET')) {
        // The rest would be refused as out of sequence: report this reply for them too.
        while (out.length < envelope.split('\r\n').filter(Boolean).length) out.push(r!);
        break;
      }
    }
    return out;
  }

  /** Reads the final reply to a written body: 250 resolves the job; a lost connection rejects it (uncertain). */
  private async finish(conn: Connection, job: Job): Promise<Settled> {
    let r: Reply;
    try {
      [r] = (await conn.expect(1, 'end of data', true)) as [Reply];
    } catch (e) {
      job.reject(e as SmtpSendError);
      return 'refused';
    }
    if (ok(r)) {
      this.budget.noteRoundTrip(this.now() - job.bodyAt);
      this.pacer.accepted();
      job.resolve();
      return 'sent';
    }
    return this.refuse(job, r, conn.refused(r, 'EMESSAGE', 'message', true));
  }
}
