import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applicationName, lastReadyStatus, withoutCopyIn, withoutReadyForQuery } from '../../src/db/socket-frames.js';

/**
 * The socket forwards a reply to Parse/Bind/Execute/Describe/Close/Flush without its ReadyForQuery
 * (pglite#958 can put one there early): every other message must come through whole and in order.
 */
const frame = (type: number, body: Uint8Array) => {
  const b = Buffer.alloc(5 + body.length);
  b[0] = type;
  b.writeInt32BE(body.length + 4, 1);
  b.set(body, 5);
  return b;
};
const ready = (status: 'I' | 'T' | 'E') => frame(0x5a, Buffer.from(status));
const other = fc
  .tuple(fc.constantFrom(...'123ECDTNnst'.split('').map((c) => c.charCodeAt(0))), fc.uint8Array({ maxLength: 40 }))
  .map(([t, body]) => frame(t, body));
const anyMessage = fc.oneof(other, fc.constantFrom<'I' | 'T' | 'E'>('I', 'T', 'E').map(ready));

describe('the socket reply frames', () => {
  it('drops exactly the ReadyForQuery messages, keeping every other one whole and in order', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { maxLength: 12 }), (messages) => {
        const stripped = Buffer.from(withoutReadyForQuery(Buffer.concat(messages)));
        expect(stripped.equals(Buffer.concat(messages.filter((m) => m[0] !== 0x5a)))).toBe(true);
        expect(lastReadyStatus(stripped)).toBeUndefined();
      }),
    );
  });

  it('reads the status of the last ReadyForQuery', () => {
    expect(lastReadyStatus(Buffer.concat([frame(0x45, Buffer.from('SERROR\0\0')), ready('I')]))).toBe('I');
    expect(lastReadyStatus(Buffer.concat([ready('I'), frame(0x43, Buffer.from('BEGIN\0')), ready('T')]))).toBe('T');
    expect(lastReadyStatus(frame(0x31, Buffer.alloc(0)))).toBeUndefined();
  });
});

describe('what a socket client is shown and called', () => {
  it('takes out the CopyInResponse, so a client never enters COPY IN mode, and keeps the error after it', () => {
    const copyIn = frame(0x47, Buffer.from([0, 0, 2, 0, 0, 0, 0]));
    const error = frame(0x45, Buffer.from('SERROR\0C57014\0MCOPY from stdin failed\0\0'));
    const reply = Buffer.concat([copyIn, error, ready('I')]);
    expect(Buffer.from(withoutCopyIn(reply)).equals(Buffer.concat([error, ready('I')]))).toBe(true);
    const noCopy = Buffer.concat([frame(0x43, Buffer.from('SELECT 1\0')), ready('I')]);
    expect(Buffer.from(withoutCopyIn(noCopy)).equals(noCopy)).toBe(true);
  });

  it.each([
    ['user\0digest\0application_name\0psql\0\0', '"psql"'],
    ['application_name\0digest status\0user\0x\0\0', '"digest status"'],
    ['user\0digest\0database\0digest\0\0', 'no application_name'],
    ['application_name\0\0\0', 'no application_name'],
    ['application_name\0evil\u001b[31m\ninjected\0\0', '"evil[31minjected"'],
    [`application_name\0${'x'.repeat(500)}\0\0`, `"${'x'.repeat(64)}"`],
  ])('names the client of startup parameters %j as %s', (params, name) => {
    expect(applicationName(Buffer.from(params))).toBe(name);
  });
});
