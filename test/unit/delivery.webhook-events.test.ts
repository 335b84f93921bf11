import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/config/index.js';
import {
  readMailgunEvent,
  readPostmarkRecord,
  readSendgridEvents,
  readSesNotification,
  SnsCertificates,
  type SnsHttp,
} from '../../src/delivery/index.js';
import { fixture, rsaKeys, selfSignedCertificate } from '../helpers/bounce-webhooks.js';

/**
 * What each provider's documented example payload turns into: hard bounces and complaints (which
 * suppress), soft bounces (logged only), and events with nothing to record.
 */
describe('Amazon SES notifications', () => {
  it('a Permanent bounce is hard, for each bounced recipient, with its status and diagnostic', () => {
    expect(readSesNotification(fixture('ses-bounce-permanent.json'))).toEqual({
      bounces: [
        { kind: 'hard', email: 'jane@example.com', reason: expect.stringMatching(/^Permanent\/General 5\.1\.1 smtp; 550 5\.1\.1/) },
      ],
      skipped: [],
    });
  });

  it('a Transient bounce is soft; a Complaint is a complaint; a Delivery has nothing to record', () => {
    expect(readSesNotification(fixture('ses-bounce-transient.json')).bounces).toEqual([
      { kind: 'soft', email: 'mary@example.com', reason: expect.stringContaining('Transient/MailboxFull') },
    ]);
    expect(readSesNotification(fixture('ses-complaint.json')).bounces).toEqual([
      { kind: 'complaint', email: 'richard@example.com', reason: expect.stringContaining('abuse') },
    ]);
    expect(readSesNotification(fixture('ses-delivery.json'))).toEqual({ bounces: [], skipped: ['Delivery'] });
  });

  it('reads event publishing (eventType) as it reads notifications (notificationType)', () => {
    const { notificationType: _, ...rest } = fixture<Record<string, unknown>>('ses-bounce-permanent.json');
    expect(readSesNotification({ eventType: 'Bounce', ...rest }).bounces).toHaveLength(1);
  });

  it('an Undetermined bounce is soft, and a message that is not SES JSON records nothing', () => {
    const n = fixture<{ bounce: Record<string, unknown> }>('ses-bounce-permanent.json');
    n.bounce.bounceType = 'Undetermined';
    expect(readSesNotification(n).bounces[0]!.kind).toBe('soft');
    expect(readSesNotification(undefined)).toEqual({ bounces: [], skipped: ['unknown'] });
    expect(readSesNotification('Hello world!')).toEqual({ bounces: [], skipped: ['unknown'] });
  });
});

describe('Mailgun events', () => {
  const eventData = (name: string) => fixture<{ 'event-data': unknown }>(name)['event-data'];

  it('failed/permanent is hard, failed/temporary soft, complained a complaint, delivered nothing', () => {
    expect(readMailgunEvent(eventData('mailgun-failed-permanent.json')).bounces).toEqual([
      { kind: 'hard', email: 'alice@example.com', reason: expect.stringContaining('Not delivering to previously bounced address') },
    ]);
    expect(readMailgunEvent(eventData('mailgun-failed-temporary.json')).bounces).toEqual([
      { kind: 'soft', email: 'carol@example.com', reason: expect.stringContaining('452') },
    ]);
    expect(readMailgunEvent(eventData('mailgun-complained.json')).bounces).toEqual([
      { kind: 'complaint', email: 'dave@example.com', reason: expect.any(String) },
    ]);
    expect(readMailgunEvent(eventData('mailgun-delivered.json'))).toEqual({ bounces: [], skipped: ['delivered'] });
    expect(readMailgunEvent(undefined)).toEqual({ bounces: [], skipped: ['unknown'] });
  });
});

describe('Postmark records', () => {
  it('a HardBounce is hard, a SoftBounce soft, a SpamComplaint a complaint, a Delivery nothing', () => {
    expect(readPostmarkRecord(fixture('postmark-bounce.json')).bounces).toEqual([
      { kind: 'hard', email: 'john@example.com', reason: expect.stringContaining('HardBounce') },
    ]);
    expect(readPostmarkRecord(fixture('postmark-soft-bounce.json')).bounces).toEqual([
      { kind: 'soft', email: 'kate@example.com', reason: expect.stringContaining('SoftBounce') },
    ]);
    expect(readPostmarkRecord(fixture('postmark-spam-complaint.json')).bounces).toEqual([
      { kind: 'complaint', email: 'lisa@example.com', reason: expect.any(String) },
    ]);
    expect(readPostmarkRecord(fixture('postmark-delivery.json'))).toEqual({ bounces: [], skipped: ['Delivery'] });
  });

  it('a BadEmailAddress is hard too; Transient, DnsError, Blocked and ManuallyDeactivated are soft', () => {
    const record = (Type: string) => ({ ...fixture<object>('postmark-bounce.json'), Type });
    expect(readPostmarkRecord(record('BadEmailAddress')).bounces[0]!.kind).toBe('hard');
    for (const type of ['Transient', 'DnsError', 'Blocked', 'ManuallyDeactivated'])
      expect(readPostmarkRecord(record(type)).bounces[0]!.kind, type).toBe('soft');
  });
});

describe('SendGrid events', () => {
  it('reads the documented batch: bounce hard, blocked soft, dropped by reason, spamreport, the rest skipped', () => {
    const { bounces, skipped } = readSendgridEvents(fixture<unknown[]>('sendgrid-events.json'));
    expect(bounces.map((b) => [b.kind, b.email])).toEqual([
      ['hard', 'dropped@example.com'],
      ['hard', 'hard@example.com'],
      ['soft', 'blocked@example.com'],
      ['complaint', 'spam@example.com'],
    ]);
    expect(skipped).toEqual([
      'processed',
      'dropped',
      'delivered',
      'deferred',
      'open',
      'click',
      'unsubscribe',
      'group_unsubscribe',
      'group_resubscribe',
    ]);
  });

  it('a drop for a spam-reporting address is a complaint', () => {
    expect(readSendgridEvents([{ email: 'x@example.com', event: 'dropped', reason: 'Spam Reporting Address' }]).bounces).toEqual([
      { kind: 'complaint', email: 'x@example.com', reason: expect.any(String) },
    ]);
  });
});

describe('SNS signing certificates, fetched once and kept in a bounded cache', () => {
  const pem = selfSignedCertificate(rsaKeys());
  const at = (n: number) => new URL(`https://sns.us-east-1.amazonaws.com/SimpleNotificationService-${n}.pem`);

  function countingHttp(answer: (url: URL) => { status: number; body: string } | Error) {
    const calls: string[] = [];
    const http: SnsHttp = {
      async get(url) {
        calls.push(url.href);
        const a = answer(url);
        if (a instanceof Error) throw a;
        return a;
      },
    };
    return { http, calls };
  }

  it('fetches a certificate once for many messages, again after a day, and keeps at most MAX_ENTRIES', async () => {
    const { http, calls } = countingHttp(() => ({ status: 200, body: pem }));
    let now = Date.now();
    const certificates = new SnsCertificates(http, () => new Date(now));
    await Promise.all([certificates.get(at(1)), certificates.get(at(1)), certificates.get(at(1))]);
    expect(calls).toHaveLength(1);
    now += SnsCertificates.TTL_MS + 1;
    await certificates.get(at(1));
    expect(calls).toHaveLength(2);
    for (let n = 0; n < 3 * SnsCertificates.MAX_ENTRIES; n++) await certificates.get(at(n));
    expect(certificates.size).toBe(SnsCertificates.MAX_ENTRIES);
  });

  it('forgets a failed fetch, and says whether SNS should try again', async () => {
    let answer: { status: number; body: string } | Error = new Error('ECONNRESET');
    const { http, calls } = countingHttp(() => answer);
    const certificates = new SnsCertificates(http, () => new Date());
    await expect(certificates.get(at(1))).rejects.toMatchObject({ code: 'SNS_CERTIFICATE', retryable: true });
    answer = { status: 404, body: 'no' };
    await expect(certificates.get(at(1))).rejects.toMatchObject({ retryable: false });
    answer = { status: 200, body: 'not a certificate' };
    await expect(certificates.get(at(1))).rejects.toMatchObject({ retryable: false });
    answer = { status: 200, body: pem };
    await expect(certificates.get(at(1))).resolves.toBeDefined();
    expect(calls).toHaveLength(4);
  });

  it('refuses a certificate that is not valid now, cached or not', async () => {
    const expired = selfSignedCertificate(rsaKeys(), { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    const { http } = countingHttp(() => ({ status: 200, body: expired }));
    const certificates = new SnsCertificates(http, fixedClock('2026-11-25T06:00:00Z'));
    await expect(certificates.get(at(1))).rejects.toThrow(/not valid now/);
    const valid = new SnsCertificates(countingHttp(() => ({ status: 200, body: pem })).http, fixedClock('2099-01-01T00:00:00Z'));
    await expect(valid.get(at(1))).rejects.toThrow(/not valid now/);
  });
});
