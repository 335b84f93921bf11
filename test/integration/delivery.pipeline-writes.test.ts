import { afterEach, describe, expect, it } from 'vitest';
import { PipelinedSmtp } from '../../src/delivery/smtp/smtp-pipeline.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';

/**
 * The write path writes a body without copying it (the body, its end-of-data line and the next
 * envelope in one corked write): what the relay receives must be the message, byte for byte, with
 * or without a final CRLF, with or without lines that need a dot doubled, many in a row.
 */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(): Promise<{ sink: SmtpSink; sender: PipelinedSmtp }> {
  const sink = await startSmtpSink();
  cleanup.push(() => sink.close());
  const sender = new PipelinedSmtp({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, maxConnections: 2, idleMs: 200 });
  cleanup.push(() => sender.close());
  return { sink, sender };
}

const head = (to: string) => `From: a@example.com\r\nTo: ${to}\r\nSubject: test\r\nMessage-ID: <${to}>\r\n\r\n`;

describe('the pipeline write path', () => {
  it('delivers bodies intact: a final CRLF or none, leading dots doubled and undone, back to back', async () => {
    const { sink, sender } = await setup();
    const bodies: Record<string, string> = {
      'plain@example.com': 'Hello.\r\nSecond line.\r\n',
      'no-final-crlf@example.com': 'Hello.\r\nno final newline',
      'dots@example.com': '.first\r\nmiddle\r\n..two\r\n.\r\nend\r\n',
      'big@example.com': `${'x'.repeat(998)}\r\n`.repeat(60),
    };
    const to = Object.keys(bodies).flatMap((a) => [a, `again-${a}`]);
    const body = (a: string) => bodies[a.replace(/^again-/, '')]!;
    await Promise.all(to.map((a) => sender.send({ from: 'x@example.com', to: a, raw: Buffer.from(head(a) + body(a)) })));
    const got = await sink.waitFor(to.length);
    for (const m of got) {
      const a = m.to[0]!;
      const sent = body(a);
      // The relay's copy ends with the CRLF the end-of-data line needs.
      expect(m.raw.slice(m.raw.indexOf('\r\n\r\n') + 4), a).toBe(sent.endsWith('\r\n') ? sent : `${sent}\r\n`);
    }
  });
});
