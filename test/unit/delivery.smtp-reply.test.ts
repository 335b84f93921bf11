import fc from 'fast-check';
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
  // Refusals of our own setup at MAIL FROM or AUTH: the same for every reader, so nobody is suppressed.
  [
    '553 sender address rejected at MAIL FROM',
    { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, response: '553 5.7.1 Sender address rejected' },
    'permanent',
    false,
  ],
  [
    '530 authentication required at MAIL FROM',
    { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 530, response: '530 5.7.0 Authentication required' },
    'permanent',
    false,
  ],
  ['bare 550 at MAIL FROM', { code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 550, response: '550 No' }, 'permanent', false],
  ['535 at AUTH', { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 Bad credentials' }, 'permanent', false],
  // At RCPT TO only mailbox-level refusals are hard bounces.
  [
    '554 relay access denied at RCPT',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 554, response: '554 5.7.1 Relay access denied' },
    'permanent',
    false,
  ],
  [
    '550 sender domain not allowed at RCPT',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.7.1 Sender domain not allowed' },
    'permanent',
    false,
  ],
  [
    '550 5.2.1 mailbox disabled',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.2.1 Mailbox disabled' },
    'permanent',
    true,
  ],
  [
    '552 5.2.2 mailbox full',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 552, response: '552 5.2.2 Mailbox full' },
    'permanent',
    false,
  ],
  ['554 5.3.0 system error', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 554, response: '554 5.3.0 Other' }, 'permanent', false],
  [
    '554 5.4.4 unroutable',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 554, response: '554 5.4.4 Unable to route' },
    'permanent',
    false,
  ],
  [
    '501 5.5.2 syntax',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 501, response: '501 5.5.2 Syntax error' },
    'permanent',
    false,
  ],
  [
    'bare 550 at RCPT',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 Mailbox unavailable' },
    'permanent',
    true,
  ],
  ['bare 551 at RCPT', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 551, response: '551 User not local' }, 'permanent', true],
  [
    'bare 553 at RCPT',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 553, response: '553 Mailbox name not allowed' },
    'permanent',
    true,
  ],
  [
    'bare 554 at RCPT',
    { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 554, response: '554 Transaction failed' },
    'permanent',
    false,
  ],
  [
    'multi-line 5.1.1 at RCPT',
    { code: 'EENVELOPE', responseCode: 550, response: '550-5.1.1 The email account\n550 5.1.1 does not exist' },
    'permanent',
    true,
  ],
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

  const enhanced = fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 99 })).map(([s, d]) => `5.${s}.${d}`);
  const text = fc.stringMatching(/^[A-Za-z ]{0,30}$/);

  it('a refused MAIL FROM or AUTH never suppresses, whatever the code or text', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 599 }),
        fc.option(enhanced, { nil: undefined }),
        text,
        fc.constantFrom('MAIL FROM', 'AUTH PLAIN', 'AUTH LOGIN'),
        (rc, status, words, command) => {
          const response = `${rc} ${status ? `${status} ` : ''}${words}`;
          const c = classifySmtpFailure({ code: command === 'MAIL FROM' ? 'EENVELOPE' : 'EAUTH', command, responseCode: rc, response });
          expect(c).toMatchObject({ outcome: 'permanent', hardBounce: false });
          expect(c.reason).toContain(`${command} refused`);
        },
      ),
    );
  });

  it('at RCPT TO, a 5xx is a hard bounce exactly when it is mailbox-level', () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 599 }), fc.option(enhanced, { nil: undefined }), text, (rc, status, words) => {
        const c = classifySmtpFailure({
          code: 'EENVELOPE',
          command: 'RCPT TO',
          responseCode: rc,
          response: `${rc} ${status ? `${status} ` : ''}${words}`,
        });
        const mailbox = status ? status.startsWith('5.1.') || status === '5.2.1' : [550, 551, 553].includes(rc);
        expect(c.outcome).toBe('permanent');
        expect(c.hardBounce).toBe(mailbox);
      }),
    );
  });
});
