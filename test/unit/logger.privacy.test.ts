import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubAddresses } from '../../src/config/index.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', stream }), lines };
}

describe('log lines never carry an address, a token or a secret', () => {
  it('redacts known fields and scrubs addresses out of any text, nested or in the message', () => {
    const { log, lines } = capture();
    log.info(
      { event: 'delivery.retry', reason: '451 4.7.1 <anna@example.com>: greylisted', email: 'x@y.org', token: 'unsubscribe.abc.1-0.sig' },
      'retry for bob@example.net',
    );
    log.warn({ event: 'x', nested: { reply: 'to=<carl@mail.example.co.uk>' }, list: ['dana@ex.am.ple'] });
    log.error({ event: 'y', err: new Error("Can't send mail - all recipients were rejected: 550 5.1.1 <eve@example.com>") }, 'failed');
    const all = lines.join('');
    expect(all).not.toMatch(/anna@|x@y|bob@|carl@|dana@|eve@|unsubscribe\.abc/);
    expect(all).toContain('451 4.7.1 <[address]>: greylisted');
    expect(all).toContain('retry for [address]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ email: '[redacted]', token: '[redacted]', event: 'delivery.retry' });
  });

  it("keeps Message-IDs (ours and nodemailer's) and still scrubs the addresses beside them", () => {
    const { log, lines } = capture();
    log.info({
      event: 'delivery.sent',
      messageId: '<digest.12.34.0123456789abcdef@example.com>',
      reply: '250 2.0.0 Ok: queued as <digest.12.34.0123456789abcdef@example.com> for <anna@example.com>',
    });
    log.info(
      { event: 'subscriber.confirmation_sent', messageId: '<1b4e28ba-2fa1-11d2-883f-0016d3cca427@localhost>' },
      'sent to bob@example.net',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({
      messageId: '<digest.12.34.0123456789abcdef@example.com>',
      reply: '250 2.0.0 Ok: queued as <digest.12.34.0123456789abcdef@example.com> for <[address]>',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({
      messageId: '<1b4e28ba-2fa1-11d2-883f-0016d3cca427@localhost>',
      msg: 'sent to [address]',
    });
    // Only the bracketed, generated shape is a Message-ID: an address that merely starts alike is scrubbed.
    expect(
      scrubAddresses(
        'digest.12.34.0123456789abcdef@example.com, <digest.12.34.0123456789abcdefx@example.com>, <digest.1.2.0123456789abcdef@x.org',
      ),
    ).toBe('[address], <[address]>, <[address]');
    // The shape before install ids (issue 13) is no longer ours: scrubbed like any address.
    expect(scrubAddresses('<digest.12.34@example.com>')).toBe('<[address]>');
  });

  it('scrubs every generated address, bracketed or not, and leaves text without one alone', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.string(), (address, text) => {
        expect(scrubAddresses(`reply ${address} end`)).not.toContain(address);
        expect(scrubAddresses(`550 5.1.1 <${address}>: no such user`)).not.toContain(address);
        if (!text.includes('@')) expect(scrubAddresses(text)).toBe(text);
      }),
    );
  });
});
