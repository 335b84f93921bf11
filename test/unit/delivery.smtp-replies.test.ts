import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyReader } from '../../src/delivery/smtp/smtp-connection.js';

/** The pipeline's reply parser: replies in order, multi-line ones joined, however the bytes arrive. */
const wire =
  '250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 Ok\r\n421-4.7.28 unusual rate\r\n421 4.7.28 of mail\r\n354 go ahead\n550 bare LF\r\nxyz garbage\r\n';
const expected = [
  { code: 250, text: '250-mx.example.com\n250-PIPELINING\n250 SIZE 1000' },
  { code: 250, text: '250 2.1.0 Ok' },
  { code: 421, text: '421-4.7.28 unusual rate\n421 4.7.28 of mail' },
  { code: 354, text: '354 go ahead' },
  { code: 550, text: '550 bare LF' },
  { code: 0, text: 'xyz garbage' },
];

describe('ReplyReader', () => {
  it('reads replies in order, multi-line ones joined, CRLF or LF', async () => {
    const r = new ReplyReader();
    r.push(wire);
    expect(await r.next(expected.length)).toEqual(expected);
  });

  it('gives the same replies whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: wire.length }), { maxLength: 12 }), async (cuts) => {
        const r = new ReplyReader();
        const at = [0, ...[...cuts].sort((a, b) => a - b), wire.length];
        for (let i = 1; i < at.length; i++) r.push(wire.slice(at[i - 1], at[i]));
        return JSON.stringify(await r.next(expected.length)) === JSON.stringify(expected);
      }),
    );
  });

  it('keeps the replies that came before a failure for the one who asks after it', async () => {
    const r = new ReplyReader();
    const asked = r.next(3);
    r.push('250 Ok\r\n421 4.7.0 closing\r\n');
    r.fail(new Error('closed'));
    await expect(asked).rejects.toThrow('closed');
    expect(r.drain().map((x) => x.code)).toEqual([250, 421]);
  });
});
