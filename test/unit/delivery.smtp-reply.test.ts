import { describe, expect, it } from 'vitest';
import { classifySmtpFailure, type SmtpFailure, type SmtpOutcome } from '../../src/delivery/index.js';

const cases: [string, SmtpFailure, SmtpOutcome, boolean][] = [
  ['421 at RCPT (service closing)', { code: 'EENVELOPE', responseCode: 421, response: '421 Service not available' }, 'transient', false],
  ['450 mailbox busy', { code: 'EENVELOPE', responseCode: 450, response: '450 4.2.1 Mailbox busy' }, 'transient', false],
  ['451 try later', { code: 'EENVELOPE', responseCode: 451, response: '451 4.3.0 Try again later' }, 'transient', false],
  [
    '452 insufficient storage',
    { code: 'EENVELOPE', responseCode: 452, response: '452 4.3.1 Insufficient system storage' },
    'transient',
    false,
  ],
  ['451 after DATA', { code: 'EMESSAGE', responseCode: 451, response: '451 Local error' }, 'transient', false],
  ['550 no such user at RCPT', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 No such user' }, 'permanent', true],
  ['553 mailbox name not allowed', { code: 'EENVELOPE', responseCode: 553, response: '553 5.1.3 Bad address' }, 'permanent', true],
  [
    '554 after DATA, content refused',
    { code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Message rejected as spam' },
    'permanent',
    false,
  ],
  ['550 after DATA naming the mailbox', { code: 'EMESSAGE', responseCode: 550, response: '550 5.1.1 User unknown' }, 'permanent', true],
  ['552 message too big', { code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 Message too big' }, 'permanent', false],
  ['connection refused', { code: 'ESOCKET', bodySent: false }, 'transient', false],
  ['connection lost mid-conversation', { code: 'ECONNECTION', response: 'Connection closed unexpectedly' }, 'uncertain', false],
  ['socket timeout waiting for the reply', { code: 'ETIMEDOUT' }, 'uncertain', false],
  ['an error of ours before the hand-off', { code: 'ECOMPOSE' }, 'transient', false],
];

describe('SMTP reply classification', () => {
  it.each(cases)('%s', (_name, failure, outcome, hardBounce) => {
    const c = classifySmtpFailure(failure);
    expect(c.outcome).toBe(outcome);
    expect(c.hardBounce).toBe(hardBounce);
    expect(c.reason.length).toBeGreaterThan(0);
  });

  it('keeps the reply text in the reason, on one line', () => {
    expect(classifySmtpFailure({ code: 'EENVELOPE', responseCode: 550, response: '550-5.1.1 No\r\n550 such user' }).reason).toBe(
      '550-5.1.1 No 550 such user',
    );
  });
});
