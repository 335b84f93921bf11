import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SnsEnvelope } from '../../src/delivery/index.js';
import {
  addReaders,
  bounceState,
  fixture,
  rsaKeys,
  selfSignedCertificate,
  signSns,
  startSnsStub,
  suppressionCount,
  type SnsStub,
} from '../helpers/bounce-webhooks.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { capturingLogger } from '../helpers/log.js';

/**
 * Amazon SES bounces and complaints through an SNS subscription to POST /api/bounces/ses, as SNS
 * sends them (JSON posted as text/plain), signed by a key of the test's whose self-signed certificate
 * a loopback stand-in for sns.us-west-2.amazonaws.com serves. The stand-in would serve anything it is
 * asked for, from any host: only the receiver's own rule keeps a certificate elsewhere from being used.
 */
const TOPIC = 'arn:aws:sns:us-west-2:123456789012:MyTopic';
const CERT_PATH = '/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem';
const READERS = ['jane@example.com', 'mary@example.com', 'richard@example.com'];

type Unsigned = Omit<SnsEnvelope, 'Signature'>;
type Line = { event?: string; provider?: string; why?: string; topic?: string };

describe.each(ENGINES)('Amazon SES bounces through SNS (%s)', (engine) => {
  const keys = rsaKeys();
  const attacker = rsaKeys();
  const captured = capturingLogger();
  const lines = captured.lines as Line[];
  let stub: SnsStub;
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;

  beforeAll(async () => {
    stub = await startSnsStub();
    stub.certificates.set(CERT_PATH, selfSignedCertificate(keys));
    stub.certificates.set('/evil.pem', selfSignedCertificate(attacker));
    stub.certificates.set(
      '/SimpleNotificationService-expired.pem',
      selfSignedCertificate(keys, { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') }),
    );
    stub.down.add('/SimpleNotificationService-down.pem');
  });
  afterAll(async () => {
    await stub?.close();
  });
  beforeEach(async () => {
    t = await createTestDatabase(engine);
    await addReaders(t.db, READERS);
    server = await startTestServer(t, testConfig({ SES_SNS_TOPIC_ARNS: `arn:aws:sns:eu-west-1:123456789012:other, ${TOPIC}` }), {
      snsHttp: stub.http,
      log: captured.log,
    });
    stub.requests.length = 0;
    captured.lines.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    await t?.close();
    server = t = undefined;
  });

  /** A Notification carrying an SES notification (a fixture's name, or the object), signed by `key`. */
  function notification(message: string | object, options: { key?: typeof keys; version?: string; envelope?: Partial<Unsigned> } = {}) {
    const body = typeof message === 'string' ? fixture(message) : message;
    const unsigned: Unsigned = { ...fixture<Unsigned>('sns-notification.json'), Message: JSON.stringify(body) };
    return signSns({ ...unsigned, SignatureVersion: options.version ?? '2', ...options.envelope }, (options.key ?? keys).privateKey);
  }

  const post = (message: object) =>
    fetch(`${server!.url}/api/bounces/ses`, {
      method: 'POST',
      // What SNS sends: JSON as text/plain, and its own headers.
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'x-amz-sns-message-type': String((message as { Type?: string }).Type),
        'user-agent': 'Amazon Simple Notification Service Agent',
      },
      body: JSON.stringify(message),
    });

  const confirmations = () => stub.requests.filter((r) => r.path.includes('ConfirmSubscription'));

  it('confirms a subscription to a configured topic by GETting its SubscribeURL on SNS, once its signature verifies', async () => {
    const message = signSns(fixture<Unsigned>('sns-subscription-confirmation.json'), keys.privateKey);
    expect(message.SignatureVersion).toBe('1');
    const response = await post(message);
    expect(response.status).toBe(200);
    expect(confirmations()).toEqual([
      { host: 'sns.us-west-2.amazonaws.com', path: expect.stringContaining(`TopicArn=${TOPIC}&Token=2336412f37`) },
    ]);
    expect(lines.filter((l) => l.event === 'bounce.sns_subscribed')).toEqual([expect.objectContaining({ topic: TOPIC })]);
  });

  it("confirms no subscription to a topic not configured, nor one whose SubscribeURL is not SNS's", async () => {
    const confirmation = fixture<Unsigned>('sns-subscription-confirmation.json');
    const otherTopic = 'arn:aws:sns:us-west-2:210987654321:SomeoneElses';
    const foreign = signSns(
      { ...confirmation, TopicArn: otherTopic, SubscribeURL: confirmation.SubscribeURL!.replace(TOPIC, otherTopic) },
      keys.privateKey,
    );
    expect((await post(foreign)).status).toBe(403);
    const elsewhere = signSns(
      { ...confirmation, SubscribeURL: 'https://evil.example/?Action=ConfirmSubscription&Token=x' },
      keys.privateKey,
    );
    expect((await post(elsewhere)).status).toBe(400);
    expect(confirmations()).toEqual([]);
    expect(lines.filter((l) => l.event === 'bounce.webhook_refused').map((l) => l.why)).toEqual(['topic', 'malformed']);
  });

  it('a Permanent bounce suppresses the reader; the same notification again changes nothing more', async () => {
    const message = notification('ses-bounce-permanent.json');
    for (let i = 0; i < 2; i++) {
      const response = await post(message);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ recorded: 1, ignored: 0 });
    }
    expect(await bounceState(t!.db, 'jane@example.com')).toEqual({
      status: 'bounced',
      suppressed: 'bounced',
      events: [expect.stringMatching(/^bounced: Permanent\/General 5\.1\.1 smtp; 550 5\.1\.1/)],
    });
    expect(await suppressionCount(t!.db)).toBe(1);
    expect((await bounceState(t!.db, 'mary@example.com')).status).toBe('active');
  });

  it('a Transient bounce is only logged, a Complaint suppresses as complained, a Delivery is answered 200 and ignored', async () => {
    expect(await (await post(notification('ses-bounce-transient.json', { version: '1' }))).json()).toEqual({ recorded: 0, ignored: 1 });
    expect(await bounceState(t!.db, 'mary@example.com')).toEqual({ status: 'active', suppressed: undefined, events: [] });
    expect(lines.some((l) => l.event === 'bounce.soft')).toBe(true);

    expect(await (await post(notification('ses-complaint.json'))).json()).toEqual({ recorded: 1, ignored: 0 });
    expect(await bounceState(t!.db, 'richard@example.com')).toEqual({
      status: 'bounced',
      suppressed: 'complained',
      events: [expect.stringMatching(/^complained: complaint abuse/)],
    });

    const delivery = await post(notification('ses-delivery.json'));
    expect(delivery.status).toBe(200);
    expect(await delivery.json()).toEqual({ recorded: 0, ignored: 1 });
    expect((await bounceState(t!.db, 'jane@example.com')).status).toBe('active');
  });

  it('refuses forged messages with 401 and one log line each, and suppresses nothing', async () => {
    const good = notification('ses-bounce-permanent.json');
    const forged: [string, object][] = [
      // The body changed after signing: another reader's address in the message.
      ['signature', { ...good, Message: good.Message.replace('jane@example.com', 'mary@example.com') }],
      // Signed with another key, pointing at SNS's real certificate.
      ['signature', notification('ses-bounce-permanent.json', { key: attacker })],
      // Signed with another key whose certificate is served from a host that is not SNS's.
      [
        'cert_url',
        notification('ses-bounce-permanent.json', { key: attacker, envelope: { SigningCertURL: 'https://evil.example/evil.pem' } }),
      ],
      [
        'cert_url',
        notification('ses-bounce-permanent.json', {
          key: attacker,
          envelope: { SigningCertURL: 'https://sns.us-west-2.amazonaws.com.evil.example/evil.pem' },
        }),
      ],
      [
        'cert_url',
        notification('ses-bounce-permanent.json', {
          key: attacker,
          envelope: { SigningCertURL: 'http://sns.us-west-2.amazonaws.com/evil.pem' },
        }),
      ],
      // An SNS certificate past its validity.
      [
        'cert',
        notification('ses-bounce-permanent.json', {
          envelope: { SigningCertURL: 'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-expired.pem' },
        }),
      ],
    ];
    for (const [why, message] of forged) {
      captured.lines.length = 0;
      const response = await post(message);
      expect(response.status, why).toBe(401);
      expect(await response.json()).toEqual({ error: 'webhook_refused', reason: why });
      const logged = lines.filter((l) => (l.event ?? '').startsWith('bounce.'));
      expect(logged, why).toEqual([expect.objectContaining({ event: 'bounce.webhook_refused', provider: 'ses', why })]);
      // No signature, address or message body in the log.
      const text = JSON.stringify(captured.lines);
      expect(text).not.toContain((message as { Signature: string }).Signature.slice(0, 20));
      expect(text).not.toContain('@example.com');
    }
    expect(stub.requests.map((r) => r.path)).not.toContain('/evil.pem');
    expect(await suppressionCount(t!.db)).toBe(0);
    for (const email of READERS) expect((await bounceState(t!.db, email)).status).toBe('active');
  });

  it('refuses a validly signed notification from a topic not configured (403)', async () => {
    const response = await post(
      notification('ses-bounce-permanent.json', { envelope: { TopicArn: 'arn:aws:sns:us-west-2:210987654321:Other' } }),
    );
    expect(response.status).toBe(403);
    expect(await suppressionCount(t!.db)).toBe(0);
  });

  it('fetches the signing certificate once for many messages, and answers 503 while SNS cannot be reached', async () => {
    for (const name of ['ses-bounce-permanent.json', 'ses-complaint.json', 'ses-bounce-transient.json'])
      expect((await post(notification(name))).status).toBe(200);
    expect(stub.requests.filter((r) => r.path === CERT_PATH)).toHaveLength(1);

    const down = await post(
      notification('ses-bounce-permanent.json', {
        envelope: { SigningCertURL: 'https://sns.us-west-2.amazonaws.com/SimpleNotificationService-down.pem' },
      }),
    );
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('60');
    expect(lines.filter((l) => l.event === 'bounce.webhook_unavailable')).toEqual([expect.objectContaining({ why: 'cert_unavailable' })]);
  });
});

describe('bounce webhook routes without their settings', () => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    await t?.close();
  });

  it('are not there (404), and POST /api/bounces is unchanged', async () => {
    t = await createTestDatabase(ENGINES.at(-1)!);
    server = await startTestServer(t, testConfig());
    for (const provider of ['ses', 'mailgun', 'postmark', 'sendgrid']) {
      const response = await fetch(`${server.url}/api/bounces/${provider}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, provider).toBe(404);
    }
    expect(
      (await fetch(`${server.url}/api/bounces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(401);
  });
});
