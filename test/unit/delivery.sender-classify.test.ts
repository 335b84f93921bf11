import { describe, expect, it } from 'vitest';
import { relayProblem, RelayUnavailable, shownSmtpUrl } from '../../src/delivery/index.js';
import { classifyNodemailer } from '../../src/delivery/smtp/nodemailer-sender.js';
import { classifyPipelined } from '../../src/delivery/smtp/pipelined-sender.js';
import { SmtpSendError } from '../../src/delivery/smtp/smtp-pipeline.js';

/** Each Sender classifies its own failures once; what matters here is what is the relay's fault. */
describe('Sender outcomes', () => {
  const opening = (e: SmtpSendError, stage: NonNullable<SmtpSendError['duringOpen']>) => Object.assign(e, { duringOpen: stage });

  it.each([
    ['connection refused', opening(new SmtpSendError('connect ECONNREFUSED', 'ECONNECTION', false, undefined, 'ECONNREFUSED'), 'connect')],
    [
      'AUTH refused (535)',
      opening(new SmtpSendError('AUTH refused: 535 bad credentials', 'EAUTH', false, 535, '535 bad credentials'), 'auth'),
    ],
    ['a 554 greeting', opening(new SmtpSendError('greeting refused: 554 go away', 'EPROTOCOL', false, 554, '554 go away'), 'greeting')],
    ['TLS failed', opening(new SmtpSendError('certificate has expired', 'ETLS', false), 'tls')],
  ])("pipelining: %s while opening is the relay's fault: transient, never a bounce", (_what, err) => {
    expect(classifyPipelined(err)).toMatchObject({ outcome: 'transient', hardBounce: false, relayDown: true });
  });

  it('pipelining: replies about the message are answers from a relay that is there', () => {
    expect(classifyPipelined(new SmtpSendError('RCPT TO refused', 'EENVELOPE', false, 550, '550 5.1.1 no such user'))).toMatchObject({
      outcome: 'permanent',
      hardBounce: true,
      relayDown: false,
    });
    expect(classifyPipelined(new SmtpSendError('RCPT TO refused', 'EENVELOPE', false, 451, '451 greylisted'))).toMatchObject({
      outcome: 'transient',
      relayDown: false,
    });
    // Lost after the body was written: maybe delivered, and the relay went away.
    expect(classifyPipelined(new SmtpSendError('end of data: closed', 'ECONNECTION', true))).toMatchObject({
      outcome: 'uncertain',
      relayDown: true,
    });
  });

  it("nodemailer: AUTH, TLS and refused connections are transient and the relay's fault; a 550 is a bounce", () => {
    expect(
      classifyNodemailer({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials', command: 'AUTH PLAIN' }),
    ).toMatchObject({ outcome: 'transient', hardBounce: false, relayDown: true });
    expect(classifyNodemailer({ code: 'ETLS', message: 'self-signed certificate' })).toMatchObject({
      outcome: 'transient',
      relayDown: true,
    });
    expect(classifyNodemailer({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' })).toMatchObject({
      outcome: 'transient',
      relayDown: true,
    });
    expect(classifyNodemailer({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 unknown' })).toMatchObject({
      outcome: 'permanent',
      hardBounce: true,
      relayDown: false,
    });
    expect(classifyNodemailer({ code: 'ECONNECTION', message: 'Connection closed unexpectedly' })).toMatchObject({
      outcome: 'uncertain',
      relayDown: true,
    });
  });

  it('both Senders tell a refused MAIL FROM (our setup) from a refused RCPT TO: only a mailbox is a bounce', () => {
    const refused = (command: string, rc: number, reply: string) =>
      Object.assign(new SmtpSendError(`${command} refused: ${reply}`, 'EENVELOPE', false, rc, reply), { command });
    expect(classifyPipelined(refused('MAIL FROM', 553, '553 5.7.1 Sender address rejected'))).toMatchObject({
      outcome: 'permanent',
      hardBounce: false,
    });
    expect(classifyPipelined(refused('RCPT TO', 554, '554 5.7.1 Relay access denied'))).toMatchObject({ hardBounce: false });
    expect(classifyPipelined(refused('RCPT TO', 550, '550 5.1.1 no such user'))).toMatchObject({ hardBounce: true });
    expect(
      classifyNodemailer({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 550, response: '550 5.7.1 Sender domain not allowed' }),
    ).toMatchObject({ outcome: 'permanent', hardBounce: false });
    expect(
      classifyNodemailer({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 530, response: '530 5.7.0 Authentication required' }),
    ).toMatchObject({ outcome: 'permanent', hardBounce: false });
    expect(classifyNodemailer({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.2.1 disabled' })).toMatchObject({
      hardBounce: true,
    });
  });

  it('names SMTP_URL without its password', () => {
    expect(shownSmtpUrl('smtp://user:p%40ss@relay.example.com:587')).toBe('smtp://user:***@relay.example.com:587');
    expect(shownSmtpUrl('smtps://relay.example.com')).toBe('smtps://relay.example.com');
    expect(relayProblem('smtp://u:secret@127.0.0.1:2599', new RelayUnavailable('connect', 'connect ECONNREFUSED 127.0.0.1:2599'))).toBe(
      'SMTP_URL smtp://u:***@127.0.0.1:2599: cannot connect: connect ECONNREFUSED 127.0.0.1:2599',
    );
    expect(relayProblem('smtp://u:secret@h:25', new RelayUnavailable('auth', '535 no'))).toBe(
      'SMTP_URL smtp://u:***@h:25: AUTH refused: 535 no',
    );
  });
});
