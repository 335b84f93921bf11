import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  isConnectionLimit,
  MAX_REQUEUED_MS,
  MAX_REQUEUES,
  mayRequeue,
  type Pushback,
  readPushback,
} from '../../src/delivery/smtp/relay-pushback.js';

/** Replies as relays send them (code, then the text as the pipeline reads it: the whole reply). */
const replies: [string, string, Pushback][] = [
  ['Amazon SES, over the sending rate', '454 Throttling failure: Maximum sending rate exceeded.', 'rate-limit'],
  ['Amazon SES, over the daily quota', '454 Throttling failure: Daily message quota exceeded.', 'rate-limit'],
  [
    'Postfix, smtpd_client_connection_count_limit',
    '421 4.7.0 mail.example.com Error: too many connections from 1.2.3.4',
    'too-many-connections',
  ],
  ['Postfix, smtpd_client_message_rate_limit', '450 4.7.1 Error: too much mail from 1.2.3.4', 'rate-limit'],
  ['Postfix, smtpd_client_recipient_rate_limit', '450 4.7.1 Error: too many recipients from 1.2.3.4', 'rate-limit'],
  ['a relay counting messages', '452 Too many messages, try again later', 'rate-limit'],
  ['Postfix, too many recipients (a per-message limit)', '452 4.5.3 Error: too many recipients', 'none'],
  [
    'Gmail, unusual rate',
    '421-4.7.28 [1.2.3.4] Our system has detected an unusual rate of\n421-4.7.28 unsolicited mail originating from your IP address. To protect our\n421 4.7.28 users from spam, mail sent from your IP address has been temporarily rate limited.',
    'rate-limit',
  ],
  ['Gmail, try later (4.7.0)', '421 4.7.0 Try again later, closing connection.', 'rate-limit'],
  ['Yahoo, deferred for volume', '421 4.7.0 [TSS04] Messages from 1.2.3.4 temporarily deferred due to unexpected volume', 'rate-limit'],
  ['Microsoft 365, server busy', '451 4.7.500 Server busy. Please try again later from [1.2.3.4]. (S77719)', 'rate-limit'],
  [
    'Outlook.com, hourly limits',
    "421 RP-001 (COL004-MC1F43) Unfortunately, some messages from 1.2.3.4 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
    'rate-limit',
  ],
  ['smtp-server maxClients', '421 mx.example.com Too many connected clients, try again in a moment', 'too-many-connections'],
  ['a relay asking to slow down', '450 4.7.0 Slow down, please', 'rate-limit'],
  ['a rate limiter (rspamd)', '451 4.7.1 Ratelimit exceeded', 'rate-limit'],
  // Greylisting wants the same message minutes later: the retry policy's delay, not a resend now.
  [
    'Postfix with postgrey',
    '450 4.2.0 <a@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/',
    'none',
  ],
  ['Postfix, client host greylisted', '450 4.7.1 <a@example.com>: Client host rejected: Greylisted for 300 seconds', 'none'],
  ['milter-greylist', '451 4.7.1 Greylisting in action, please come back later', 'none'],
  // The reply greylisting milters send without saying so: taken as greylisting (see relay-pushback.ts).
  ['a bare 4.7.1 try later', '451 4.7.1 Please try again later', 'none'],
  ['mailbox full', '452 4.2.2 Mailbox full', 'none'],
  ['mailbox busy', '450 4.2.1 Mailbox busy', 'none'],
  ['local error', '451 4.3.0 Try again later', 'none'],
  ['a plain 421 (shutting down)', '421 Service not available, closing channel', 'none'],
  ['421 4.4.2 idle timeout', '421 4.4.2 mx.example.com Error: timeout exceeded', 'none'],
  ['a 5xx naming a rate', '550 5.7.1 Daily sending rate limit exceeded for this account', 'none'],
  ['a 250', '250 2.0.0 Ok: queued as 12345', 'none'],
];

describe('readPushback', () => {
  it.each(replies)('%s', (_name, text, expected) => {
    expect(readPushback(Number(text.slice(0, 3)), text)).toBe(expected);
  });

  it('never reads a 2xx, 3xx or 5xx reply as pushback, whatever its text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 200, max: 399 }), fc.integer({ min: 500, max: 599 })),
        fc.oneof(fc.string(), ...replies.map(([, t]) => fc.constant(t))),
        (code, text) => readPushback(code, text) === 'none',
      ),
    );
  });

  it('never reads a reply that says greylist as pushback', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 499 }), fc.string(), fc.string(), (code, before, after) => {
        return readPushback(code, `${before} greylisted ${after}`) === 'none';
      }),
    );
  });
});

describe('isConnectionLimit (a refusal while opening a connection)', () => {
  it('takes any 421 and any pushback, and nothing else', () => {
    expect(isConnectionLimit(421, '421 mx Too many connected clients, try again in a moment')).toBe(true);
    expect(isConnectionLimit(421, '421 Service not available')).toBe(true);
    expect(isConnectionLimit(454, '454 Throttling failure: Maximum sending rate exceeded.')).toBe(true);
    expect(isConnectionLimit(554, '554 5.7.1 No SMTP service here')).toBe(false);
    expect(isConnectionLimit(535, '535 5.7.8 Authentication credentials invalid')).toBe(false);
    expect(isConnectionLimit(451, '451 4.3.0 Try again later')).toBe(false);
  });
});

describe('backoffMs', () => {
  it('starts at 1 s, doubles in a row, stops at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoffMs(3, 50, 120)).toBe(120);
  });
});

describe('mayRequeue', () => {
  it(`puts a message back at most ${MAX_REQUEUES} times, and not past ${MAX_REQUEUED_MS / 1000} s after the first`, () => {
    expect(mayRequeue({ requeues: 0, firstAt: undefined }, 1_000_000)).toBe(true);
    expect(mayRequeue({ requeues: MAX_REQUEUES - 1, firstAt: 0 }, 1000)).toBe(true);
    expect(mayRequeue({ requeues: MAX_REQUEUES, firstAt: 0 }, 1000)).toBe(false);
    expect(mayRequeue({ requeues: 1, firstAt: 0 }, MAX_REQUEUED_MS)).toBe(false);
  });
});
