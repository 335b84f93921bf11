import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastReadyStatus, withoutReadyForQuery } from '../../src/db/database-socket.js';

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
