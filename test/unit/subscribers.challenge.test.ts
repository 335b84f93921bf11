import { describe, expect, it } from 'vitest';
import { createChallenge, verifyChallenge } from '../../src/subscribers/challenge.js';

const keys = { current: { id: 'k1', key: Buffer.from('challenge-secret-0123456') } };
const answer = (q: string) =>
  q
    .split(' + ')
    .map(Number)
    .reduce((a, b) => a + b, 0);

describe('the arithmetic sign-up challenge', () => {
  it('accepts the right answer within the hour, and nothing else', () => {
    const now = Date.UTC(2026, 10, 26);
    const c = createChallenge(keys, now);
    expect(c.question).toMatch(/^[1-9] \+ [1-9]$/);
    expect(verifyChallenge(keys, c.token, String(answer(c.question)), now)).toBe(true);
    expect(verifyChallenge(keys, c.token, ` ${answer(c.question)} `, now)).toBe(true);
    expect(verifyChallenge(keys, c.token, String(answer(c.question) + 1), now)).toBe(false);
    expect(verifyChallenge(keys, c.token, String(answer(c.question)), now + 61 * 60_000)).toBe(false);
  });

  it('refuses a question the server did not sign', () => {
    const c = createChallenge(keys);
    const [a, b, exp, kid, sig] = c.token.split('.');
    // Another question under the same signature (never the signed one itself: 1 + 1 can be drawn).
    const forgedA = a === '1' ? 2 : 1;
    expect(verifyChallenge(keys, `${forgedA}.${b}.${exp}.${kid}.${sig}`, String(forgedA + Number(b)))).toBe(false);
    expect(
      verifyChallenge({ current: { id: 'k1', key: Buffer.from('another-secret-entirely') } }, c.token, String(answer(c.question))),
    ).toBe(false);
    expect(verifyChallenge(keys, undefined, '2')).toBe(false);
    expect(verifyChallenge(keys, 'garbage', '2')).toBe(false);
  });
});
