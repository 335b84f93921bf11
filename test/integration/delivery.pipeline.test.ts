import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { classifySmtpFailure } from '../../src/delivery/index.js';
import { dotStuffed, PipelinedSmtp, SmtpSendError } from '../../src/delivery/smtp/smtp-pipeline.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * The bulk sender on its own, against a real SMTP server on loopback: the faults the delivery tests
 * put through `digest send` (421, 451, 550, a connection dropped after DATA, a refused connection)
 * come out as the same classification nodemailer's errors get.
 */
const message = (to: string, body = 'Hello.\r\n.leading dot line\r\n..two dots\r\nend') =>
  Buffer.from(`From: a@example.com\r\nTo: ${to}\r\nSubject: test\r\nMessage-ID: <${to}>\r\n\r\n${body}\r\n`);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

async function sinkWith(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const sink = await startSmtpSink(options);
  cleanup.push(() => sink.close());
  return sink;
}

function senderFor(port: number, maxConnections = 3): PipelinedSmtp {
  const sender = new PipelinedSmtp({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, maxConnections, idleMs: 200 });
  cleanup.push(() => sender.close());
  return sender;
}

const classify = (e: SmtpSendError) =>
  classifySmtpFailure({ code: e.code, responseCode: e.responseCode, response: e.response ?? e.message, bodySent: e.bodySent });

describe('dotStuffed', () => {
  it('doubles every leading dot and ends with the end-of-data line', () => {
    expect(dotStuffed(Buffer.from('.a\r\nb\r\n.c\r\n')).toString()).toBe('..a\r\nb\r\n..c\r\n.\r\n');
    expect(dotStuffed(Buffer.from('plain\r\n')).toString()).toBe('plain\r\n.\r\n');
    expect(dotStuffed(Buffer.from('no final newline')).toString()).toBe('no final newline\r\n.\r\n');
  });
});

describe('PipelinedSmtp', () => {
  it('settles the last message of a burst as soon as the relay answers, not after the idle wait', async () => {
    const sink = await sinkWith();
    // An idle wait far longer than this test may run: reading the last 250 only after it would hang.
    const sender = new PipelinedSmtp({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      ignoreTLS: true,
      maxConnections: 1,
      idleMs: 600_000,
    });
    cleanup.push(() => sender.close());
    await sender.send({ from: 'bounces@example.com', to: 'first@example.com', raw: message('first@example.com') });
    await Promise.all(
      ['a', 'b', 'c'].map((n) => sender.send({ from: 'bounces@example.com', to: `${n}@example.com`, raw: message(`${n}@example.com`) })),
    );
    expect(sink.messages).toHaveLength(4);
  }, 20_000);

  it('delivers every message once over several pipelined connections, dots intact', async () => {
    const sink = await sinkWith();
    const sender = senderFor(sink.port);
    const addresses = Array.from({ length: 60 }, (_, i) => `reader${i}@example.com`);
    await Promise.all(addresses.map((to) => sender.send({ from: 'bounces@example.com', to, raw: message(to) })));
    const got = await sink.waitFor(60);
    expect(got.map((m) => m.to[0]).sort()).toEqual([...addresses].sort());
    expect(got[0]!.parsed.text).toBe('Hello.\n.leading dot line\n..two dots\nend\n');
  });

  it('sends one command at a time to a relay that does not offer PIPELINING', async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      hidePIPELINING: true,
      logger: false,
      onRcptTo(address, _s, cb) {
        if (address.address.startsWith('refused')) return cb(Object.assign(new Error('no such user'), { responseCode: 550 }));
        cb();
      },
      onData(stream, session, cb) {
        stream.resume();
        stream.on('end', () => {
          received.push(session.envelope.rcptTo[0]!.address);
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const sender = senderFor((server.server.address() as AddressInfo).port, 1);
    const results = await Promise.allSettled(
      ['a@example.com', 'refused@example.com', 'b@example.com'].map((to) => sender.send({ from: 'x@example.com', to, raw: message(to) })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(received).toEqual(['a@example.com', 'b@example.com']);
  });

  it('classifies 550 to the recipient as a hard bounce, 451 and 421 as transient, and the rest of the batch goes on', async () => {
    const sink = await sinkWith({
      onRecipient: (address) =>
        address.startsWith('gone')
          ? { code: 550, message: '5.1.1 user unknown' }
          : address.startsWith('later')
            ? { code: 451, message: '4.3.0 try later' }
            : address.startsWith('closing')
              ? { code: 421, message: '4.4.2 closing' }
              : undefined,
    });
    const sender = senderFor(sink.port, 2);
    const to = ['ok1@example.com', 'gone@example.com', 'later@example.com', 'closing@example.com', 'ok2@example.com', 'ok3@example.com'];
    const results = await Promise.allSettled(to.map((t) => sender.send({ from: 'x@example.com', to: t, raw: message(t) })));
    const outcome = results.map((r) => (r.status === 'fulfilled' ? 'sent' : classify(r.reason as SmtpSendError)));
    expect(outcome[0]).toBe('sent');
    expect(outcome[1]).toMatchObject({ outcome: 'permanent', hardBounce: true });
    expect(outcome[2]).toMatchObject({ outcome: 'transient' });
    expect(outcome[3]).toMatchObject({ outcome: 'transient' });
    expect(outcome.slice(4)).toEqual(['sent', 'sent']);
    expect((await sink.waitFor(3)).map((m) => m.to[0]).sort()).toEqual(['ok1@example.com', 'ok2@example.com', 'ok3@example.com']);
  });

  it('a connection dropped after the body is uncertain; a message refused after DATA is permanent but no hard bounce', async () => {
    const sink = await sinkWith({
      onData: ({ to }) =>
        to[0]!.startsWith('drop')
          ? 'keep-and-drop'
          : to[0]!.startsWith('spam')
            ? { code: 554, message: '5.7.1 looks like spam' }
            : undefined,
    });
    const sender = senderFor(sink.port, 1);
    const dropped = await sender
      .send({ from: 'x@example.com', to: 'drop@example.com', raw: message('drop@example.com') })
      .catch((e: SmtpSendError) => e);
    expect(dropped).toBeInstanceOf(SmtpSendError);
    expect((dropped as SmtpSendError).bodySent).toBe(true);
    expect(classify(dropped as SmtpSendError).outcome).toBe('uncertain');
    const spam = await sender
      .send({ from: 'x@example.com', to: 'spam@example.com', raw: message('spam@example.com') })
      .catch((e: SmtpSendError) => e);
    expect(classify(spam as SmtpSendError)).toMatchObject({ outcome: 'permanent', hardBounce: false });
    await sender.send({ from: 'x@example.com', to: 'after@example.com', raw: message('after@example.com') });
    expect((await sink.waitFor(2)).map((m) => m.to[0])).toEqual(['drop@example.com', 'after@example.com']);
  });

  it('a refused connection is transient: nothing was written', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await senderFor(port)
      .send({ from: 'x@example.com', to: 'a@example.com', raw: message('a@example.com') })
      .catch((e: SmtpSendError) => e);
    expect((err as SmtpSendError).bodySent).toBe(false);
    expect(classify(err as SmtpSendError).outcome).toBe('transient');
  });
});
