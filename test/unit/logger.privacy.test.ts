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
    log.info({ event: 'delivery.retry', reason: '451 4.7.1 <anna@example.com>: greylisted', email: 'x@y.org', token: 'unsubscribe.abc.1-0.sig' }, 'retry for bob@example.net');
    log.warn({ event: 'x', nested: { reply: 'to=<carl@mail.example.co.uk>' }, list: ['dana@ex.am.ple'] });
    log.error({ event: 'y', err: new Error('Can\'t send mail - all recipients were rejected: 550 5.1.1 <eve@example.com>') }, 'failed');
    const all = lines.join('');
    expect(all).not.toMatch(/anna@|x@y|bob@|carl@|dana@|eve@|unsubscribe\.abc/);
    expect(all).toContain('451 4.7.1 <[address]>: greylisted');
    expect(all).toContain('retry for [address]');
    expect(JSON.parse(lines[0]!)).toMatchObject({ email: '[redacted]', token: '[redacted]', event: 'delivery.retry' });
  });

  it('scrubs every generated address and leaves text without one alone', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.string(), (address, text) => {
        expect(scrubAddresses(`reply ${address} end`)).not.toContain(address);
        if (!text.includes('@')) expect(scrubAddresses(text)).toBe(text);
      }),
    );
  });
});
