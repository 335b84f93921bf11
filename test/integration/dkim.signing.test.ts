import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// mailauth (by nodemailer's author) verifies the signature; a stub resolver answers its DNS query.
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createMailer, smtpOptions } from '../../src/delivery/index.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

describe('DKIM signing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-dkim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(dir, 'dkim.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const base = { SECRET: 'dkim-test-secret-0123456789', DATA_DIR: 'memory://', MAIL_FROM: 'News <digest@news.example.com>' };

  it('signs outgoing mail with the configured key, and the signature verifies', async () => {
    const config = loadConfig({ ...base, DKIM_DOMAIN: 'news.example.com', DKIM_SELECTOR: 'digest2026', DKIM_PRIVATE_KEY_FILE: keyFile });
    const sink = await startSmtpSink();
    try {
      const mailer = createMailer(smtpOptions(config, sink.url));
      await mailer.send({ to: 'reader@example.org', subject: 'Signed', html: '<p>Hello</p>', text: 'Hello' });
      mailer.close();
      const [message] = await sink.waitFor(1);
      const sig = message!.headerLines.find((h) => h.key === 'dkim-signature');
      expect(sig?.line).toMatch(/d=news\.example\.com/);
      expect(sig?.line).toMatch(/s=digest2026/);
      const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const result = await dkimVerify(Buffer.from(message!.raw), {
        resolver: async (name: string, type: string) => {
          expect([name, type]).toEqual(['digest2026._domainkey.news.example.com', 'TXT']);
          return [[`v=DKIM1; k=rsa; p=${spki}`]];
        },
      });
      expect(result.results[0]?.status?.result).toBe('pass');
    } finally {
      await sink.close();
    }
  });

  it('refuses half a DKIM configuration and a file that is not a key', () => {
    expect(() => loadConfig({ ...base, DKIM_DOMAIN: 'news.example.com' })).toThrow(
      /DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together/,
    );
    const notKey = join(dir, 'not-a-key.txt');
    writeFileSync(notKey, 'hello');
    expect(() => loadConfig({ ...base, DKIM_DOMAIN: 'news.example.com', DKIM_SELECTOR: 's', DKIM_PRIVATE_KEY_FILE: notKey })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ ...base, DKIM_DOMAIN: 'news.example.com', DKIM_SELECTOR: 's', DKIM_PRIVATE_KEY_FILE: notKey })).toThrow(
      /is not a PEM private key/,
    );
  });
});
