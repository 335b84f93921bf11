import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signToken, verifyToken, type TokenKeys, type TokenPurpose } from '../../src/subscribers/index.js';

const key = (id: string, secret: string) => ({ id, key: Buffer.from(secret) });
const KEYS: TokenKeys = { current: key('k1', 'the-current-secret-0123') };
const PURPOSES: TokenPurpose[] = ['confirm', 'unsubscribe', 'preferences', 'click', 'story'];

const subjectArb = fc.record({
  subscriberId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  version: fc.integer({ min: 0, max: 1_000_000 }),
  editionId: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }),
});
const purposeArb = fc.constantFrom(...PURPOSES);

describe('signed link tokens', () => {
  it('verifies what it signed, for every purpose and subject', () => {
    fc.assert(
      fc.property(purposeArb, subjectArb, (purpose, subject) => {
        const v = verifyToken(KEYS, purpose, signToken(KEYS, purpose, subject));
        const expected = {
          subscriberId: subject.subscriberId,
          version: subject.version,
          ...(subject.editionId !== undefined ? { editionId: subject.editionId } : {}),
        };
        expect(v).toEqual({ ok: true, subject: expected });
      }),
    );
  });

  it('never accepts a token for another purpose', () => {
    fc.assert(
      fc.property(purposeArb, purposeArb, subjectArb, (signed, asked, subject) => {
        fc.pre(signed !== asked);
        expect(verifyToken(KEYS, asked, signToken(KEYS, signed, subject)).ok).toBe(false);
      }),
    );
  });

  it('refuses any truncation', () => {
    fc.assert(
      fc.property(purposeArb, subjectArb, fc.nat(), (purpose, subject, n) => {
        const token = signToken(KEYS, purpose, subject);
        const cut = token.slice(0, n % token.length);
        expect(verifyToken(KEYS, purpose, cut).ok).toBe(false);
      }),
    );
  });

  it('refuses any single altered character', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    fc.assert(
      fc.property(purposeArb, subjectArb, fc.nat(), fc.nat(), (purpose, subject, at, by) => {
        const token = signToken(KEYS, purpose, subject);
        const i = at % token.length;
        const replacement = alphabet[by % alphabet.length]!;
        fc.pre(token[i] !== replacement);
        const altered = token.slice(0, i) + replacement + token.slice(i + 1);
        const v = verifyToken(KEYS, purpose, altered);
        // An altered token may only "verify" if it decodes to the very same subject (impossible for a MAC);
        // in practice every alteration fails.
        expect(v.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses a signature swapped in from another subscriber's token", () => {
    fc.assert(
      fc.property(purposeArb, subjectArb, subjectArb, (purpose, a, b) => {
        fc.pre(a.subscriberId !== b.subscriberId || a.version !== b.version || a.editionId !== b.editionId);
        const ta = signToken(KEYS, purpose, a).split('.');
        const tb = signToken(KEYS, purpose, b).split('.');
        expect(verifyToken(KEYS, purpose, [ta[0], ta[1], ta[2], tb[3]].join('.')).ok).toBe(false);
        expect(verifyToken(KEYS, purpose, [ta[0], ta[1], tb[2], ta[3]].join('.')).ok).toBe(false);
      }),
    );
  });

  it('keeps links signed with the previous SECRET working after a rotation, and only those', () => {
    const old = key('k0', 'the-old-secret-abcdefgh');
    const rotated: TokenKeys = { current: KEYS.current, previous: old };
    fc.assert(
      fc.property(purposeArb, subjectArb, (purpose, subject) => {
        const before = signToken({ current: old }, purpose, subject);
        expect(verifyToken(rotated, purpose, before).ok).toBe(true);
        expect(verifyToken(KEYS, purpose, before)).toEqual({ ok: false, reason: 'unknown_key' });
        // A token claiming the current key id but signed with the old secret is a forgery.
        const relabelled = before.replace('.k0.', '.k1.');
        expect(verifyToken(rotated, purpose, relabelled)).toEqual({ ok: false, reason: 'bad_signature' });
      }),
    );
  });

  it('carries the token version, so a link from before a resubscribe is recognisably stale', () => {
    const v0 = verifyToken(KEYS, 'unsubscribe', signToken(KEYS, 'unsubscribe', { subscriberId: 7, version: 0 }));
    expect(v0).toEqual({ ok: true, subject: { subscriberId: 7, version: 0 } });
    // The routes load the subscriber by (id, version): after the bump to 1, version 0 finds nothing (410).
    const v1 = signToken(KEYS, 'unsubscribe', { subscriberId: 7, version: 1 });
    expect(v1).not.toBe(signToken(KEYS, 'unsubscribe', { subscriberId: 7, version: 0 }));
  });

  it('says why a token failed, without throwing on garbage', () => {
    const good = signToken(KEYS, 'confirm', { subscriberId: 1, version: 0 });
    expect(verifyToken(KEYS, 'confirm', undefined)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(KEYS, 'confirm', 'a.b.c')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(KEYS, 'confirm', 'x'.repeat(500))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(KEYS, 'confirm', good.replace('.k1.', '.zz.'))).toEqual({ ok: false, reason: 'unknown_key' });
    expect(verifyToken(KEYS, 'unsubscribe', good)).toEqual({ ok: false, reason: 'wrong_purpose' });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => void verifyToken(KEYS, 'confirm', s)));
  });
});
