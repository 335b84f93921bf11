import { describe, expect, it } from 'vitest';
import { configProblems, testConfig } from '../helpers/config.js';
import { p256Keys, rsaKeys, sendgridKeyText } from '../helpers/bounce-webhooks.js';

/** The bounce webhook settings: each provider is off until set, and a bad value stops start-up saying why. */
const BASE = { SECRET: 'test-secret-0123456789abcdef', DATA_DIR: 'memory://' };

describe('bounce webhook settings', () => {
  it('are all off by default', () => {
    expect(testConfig().bounceWebhooks).toEqual({
      sesTopicArns: [],
      mailgunSigningKey: undefined,
      postmark: undefined,
      sendgridPublicKey: undefined,
    });
  });

  it('read SNS topic ARNs (comma-separated), a Mailgun key, Postmark credentials and a SendGrid key as SendGrid shows it', () => {
    const keys = p256Keys();
    const config = testConfig({
      SES_SNS_TOPIC_ARNS: 'arn:aws:sns:eu-west-1:123456789012:ses-bounces, arn:aws-cn:sns:cn-north-1:123456789012:b.fifo',
      MAILGUN_WEBHOOK_SIGNING_KEY: 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0',
      POSTMARK_WEBHOOK_USER: 'postmark',
      POSTMARK_WEBHOOK_PASSWORD: 'webhook-password-0123456789',
      SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKeyText(keys.publicKey),
    }).bounceWebhooks;
    expect(config.sesTopicArns).toEqual([
      'arn:aws:sns:eu-west-1:123456789012:ses-bounces',
      'arn:aws-cn:sns:cn-north-1:123456789012:b.fifo',
    ]);
    expect(config.postmark).toEqual({ user: 'postmark', password: 'webhook-password-0123456789' });
    expect(config.sendgridPublicKey?.equals(keys.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    const pem = String(keys.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(testConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: pem }).bounceWebhooks.sendgridPublicKey).toEqual(config.sendgridPublicKey);
  });

  it('refuse bad values, one line each, never echoing a key or password', () => {
    const rsa = rsaKeys().publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(
      configProblems({
        ...BASE,
        SES_SNS_TOPIC_ARNS: 'arn:aws:sns:eu-west-1:123456789012:ok,arn:aws:sqs:eu-west-1:123456789012:queue',
        MAILGUN_WEBHOOK_SIGNING_KEY: 'short-key',
        POSTMARK_WEBHOOK_PASSWORD: 'short-password',
        SENDGRID_WEBHOOK_PUBLIC_KEY: rsa,
      }),
    ).toEqual([
      'config: SES_SNS_TOPIC_ARNS entry "arn:aws:sqs:eu-west-1:123456789012:queue" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)',
      'config: MAILGUN_WEBHOOK_SIGNING_KEY must be at least 16 characters',
      'config: POSTMARK_WEBHOOK_PASSWORD must be at least 16 characters (use: openssl rand -hex 32)',
      'config: SENDGRID_WEBHOOK_PUBLIC_KEY is not an ECDSA P-256 public key (base64, as SendGrid shows its verification key)',
    ]);
    expect(configProblems({ ...BASE, SENDGRID_WEBHOOK_PUBLIC_KEY: 'not base64 at all!' })).toHaveLength(1);
  });

  it('want the Postmark user and password together', () => {
    expect(configProblems({ ...BASE, POSTMARK_WEBHOOK_PASSWORD: 'webhook-password-0123456789' })).toEqual([
      'config: the Postmark webhook needs POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD together (or neither)',
    ]);
    expect(
      configProblems({ ...BASE, POSTMARK_WEBHOOK_USER: 'has:colon', POSTMARK_WEBHOOK_PASSWORD: 'webhook-password-0123456789' }),
    ).toEqual(['config: POSTMARK_WEBHOOK_USER "has:colon" must be 1 to 100 characters, no colon or space']);
  });
});
