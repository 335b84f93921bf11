import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { TokenKeys } from './tokens.js';

/**
 * The optional sign-up challenge (SIGNUP_CHALLENGE=arithmetic), like the reference site's
 * "1 + 3 =": a question and a signed, expiring token holding it, so the server keeps no state.
 * It stops naive form-filling bots; it is not a CAPTCHA, and a token may be replayed until it expires
 * (the rate limits bound that).
 */
export interface Challenge {
  readonly question: string;
  readonly token: string;
}

const TTL_MS = 60 * 60 * 1000;

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(`challenge.${payload}`).digest().subarray(0, 16);
}

export function createChallenge(keys: TokenKeys, now = Date.now()): Challenge {
  const a = randomInt(1, 10);
  const b = randomInt(1, 10);
  const payload = `${a}.${b}.${(now + TTL_MS).toString(36)}.${keys.current.id}`;
  return { question: `${a} + ${b}`, token: `${payload}.${mac(keys.current.key, payload).toString('base64url')}` };
}

export function verifyChallenge(keys: TokenKeys, token: unknown, answer: unknown, now = Date.now()): boolean {
  if (typeof token !== 'string' || token.length > 100 || (typeof answer !== 'string' && typeof answer !== 'number')) return false;
  const parts = token.split('.');
  if (parts.length !== 5) return false;
  const [a, b, exp, keyId, sig] = parts as [string, string, string, string, string];
  const key = [keys.current, keys.previous].find((k) => k?.id === keyId);
  if (!key) return false;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key.key, `${a}.${b}.${exp}.${keyId}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  if (parseInt(exp, 36) < now) return false;
  return String(answer).trim() === String(Number(a) + Number(b));
}
