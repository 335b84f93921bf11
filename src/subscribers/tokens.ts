import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKey } from '../config/index.js';

/**
 * Signed, stateless link tokens: `<purpose>.<key id>.<subject>.<signature>`, all base64url-safe.
 *
 * - The purpose is inside the MAC, so an unsubscribe token can never confirm, and a confirm token never
 *   opens the preferences page.
 * - The key id names the SECRET that signed it; SECRET_PREVIOUS keeps old links working after a rotation.
 * - The subject is `<subscriber id>-<token version>[-<edition id>]`: bumping the subscriber's version on
 *   resubscribe retires every earlier link, and the edition says which email an unsubscribe came from.
 * - Verification checks the length first, then compares in constant time.
 */
/** `click`: a reader's identity on tracked links (individual mode); `story`: one story of one edition. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'click' | 'story';

const PURPOSES: readonly TokenPurpose[] = ['confirm', 'unsubscribe', 'preferences', 'click', 'story'];

export interface TokenSubject {
  readonly subscriberId: number;
  readonly version: number;
  readonly editionId?: number | undefined;
}

export interface TokenKeys {
  readonly current: SigningKey;
  readonly previous?: SigningKey | undefined;
}

const SIG_BYTES = 16; // 128-bit truncated HMAC-SHA256: ample for links, keeps URLs short

function mac(key: SigningKey, payload: string): Buffer {
  return createHmac('sha256', key.key).update(payload).digest().subarray(0, SIG_BYTES);
}

/** Signs a purpose and a short list of non-negative integers (the token's subject). */
export function signFields(keys: TokenKeys, purpose: TokenPurpose, fields: readonly number[]): string {
  const payload = `${purpose}.${keys.current.id}.${fields.map((n) => n.toString(36)).join('-')}`;
  return `${payload}.${mac(keys.current, payload).toString('base64url')}`;
}

export function signToken(keys: TokenKeys, purpose: TokenPurpose, subject: TokenSubject): string {
  return signFields(keys, purpose, [
    subject.subscriberId,
    subject.version,
    ...(subject.editionId !== undefined ? [subject.editionId] : []),
  ]);
}

export type TokenFailure = 'malformed' | 'wrong_purpose' | 'unknown_key' | 'bad_signature';

export type VerifiedToken = { ok: true; subject: TokenSubject } | { ok: false; reason: TokenFailure };
export type VerifiedFields = { ok: true; fields: number[] } | { ok: false; reason: TokenFailure };

const NUM = /^[0-9a-z]{1,13}$/;

export function verifyToken(keys: TokenKeys, purpose: TokenPurpose, token: unknown): VerifiedToken {
  const v = verifyFields(keys, purpose, token, 2, 3);
  if (!v.ok) return v;
  const [id, version, edition] = v.fields as [number, number, number | undefined];
  return { ok: true, subject: { subscriberId: id, version, ...(edition !== undefined ? { editionId: edition } : {}) } };
}

/** Verifies a token of `purpose` carrying between `min` and `max` integer fields. */
export function verifyFields(keys: TokenKeys, purpose: TokenPurpose, token: unknown, min: number, max: number): VerifiedFields {
  if (typeof token !== 'string' || token.length > 200) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [tokenPurpose, keyId, subject, signature] = parts as [string, string, string, string];
  if (!PURPOSES.includes(tokenPurpose as TokenPurpose)) return { ok: false, reason: 'malformed' };
  const key = [keys.current, keys.previous].find((k) => k?.id === keyId);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(key, `${tokenPurpose}.${keyId}.${subject}`);
  // Length first (timingSafeEqual throws on unequal lengths), then a constant-time comparison;
  // re-encoding catches non-canonical base64url that would decode to the same bytes.
  if (given.length !== expected.length || given.toString('base64url') !== signature || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  if (tokenPurpose !== purpose) return { ok: false, reason: 'wrong_purpose' };
  const fields = subject.split('-');
  if (fields.length < min || fields.length > max || !fields.every((f) => NUM.test(f))) return { ok: false, reason: 'malformed' };
  const numbers = fields.map((f) => parseInt(f, 36));
  if (!numbers.every((n) => Number.isSafeInteger(n))) return { ok: false, reason: 'malformed' };
  return { ok: true, fields: numbers };
}
