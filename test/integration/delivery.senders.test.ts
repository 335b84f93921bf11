import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// mailauth (by nodemailer's author) verifies the signature; a stub resolver answers its DNS query.
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { createSender, digestMessageSource, smtpOptions } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition, runEdition } from '../../src/editions/index.js';
import { emailHash } from '../../src/subscribers/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/**
 * The digest through each Sender the settings choose (createSender), to a real SMTP server: the
 * pipelining client by default, nodemailer when the messages must be DKIM-signed or paced. Both
 * deliver every reader once and classify a 550 as a hard bounce.
 */
describe('the digest through each Sender (postgres, a real SMTP server)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'digest-senders-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(dir, 'dkim.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  let t: TestDatabase | undefined;
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
    await t?.close();
    sink = t = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const UNKNOWN = 'r0003@example.com';

  it.each([
    ['the pipelining client (default)', {}],
    ['nodemailer, DKIM-signed', { DKIM_DOMAIN: 'news.example.com', DKIM_SELECTOR: 'digest2026', DKIM_PRIVATE_KEY_FILE: keyFile }],
    ['nodemailer, paced (SMTP_RATE)', { SMTP_RATE: '200' }],
  ])('%s: every reader once, a 550 a hard bounce', async (_name, env: Record<string, string>) => {
    t = await createTestDatabase('postgres');
    sink = await startSmtpSink({ onRecipient: (a) => (a === UNKNOWN ? { code: 550, message: '5.1.1 no such user' } : undefined) });
    const slot = slotMinutesAgo(5);
    const config = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron, MAIL_FROM: 'News <digest@news.example.com>', ...env });
    await seedStories(t.db, slot.sendAt);
    await seedReaders(t.db, 12);
    const { edition } = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, {
      now: new Date(),
    });
    const sender = createSender(smtpOptions(config, sink.url));
    try {
      const counts = await runEdition(
        { db: t.db, config, log: silentLogger, sender, messages: digestMessageSource(t.db, config) },
        edition,
        { workers: 2 },
      );
      expect(counts).toMatchObject({ sent: 11, failed: 1, retry: 0, queued: 0, sending: 0 });
    } finally {
      await sender.close();
    }
    expect(sink.messages.map((m) => m.to[0]).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(4, '0')}@example.com`).filter((a) => a !== UNKNOWN),
    );
    expect((await t.db.selectFrom('suppressions').select('email_hash').execute()).map((r) => r.email_hash)).toContain(emailHash(UNKNOWN));
    const sig = sink.messages[0]!.headerLines.find((h) => h.key === 'dkim-signature');
    if (!env.DKIM_DOMAIN) {
      expect(sig).toBeUndefined();
      return;
    }
    expect(sig?.line).toMatch(/d=news\.example\.com/);
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const result = await dkimVerify(Buffer.from(sink.messages[0]!.raw), { resolver: async () => [[`v=DKIM1; k=rsa; p=${spki}`]] });
    expect(result.results[0]?.status?.result).toBe('pass');
  });

  it.each([
    ['the pipelining client (default)', {}],
    ['nodemailer, paced (SMTP_RATE)', { SMTP_RATE: '200' }],
  ])(
    '%s: a refused MAIL FROM, or a 5.7.1 to RCPT TO, fails the delivery and suppresses nobody',
    async (_name, env: Record<string, string>) => {
      t = await createTestDatabase('postgres');
      // Our sender address refused for every message but the relay also says 5.7.1 to one recipient
      // on a second run: neither is about the reader.
      let refuseSender = true;
      sink = await startSmtpSink({
        onSender: () => (refuseSender ? { code: 553, message: '5.7.1 Sender address rejected' } : undefined),
        onRecipient: (a) => (a === UNKNOWN ? { code: 554, message: '5.7.1 Relay access denied' } : undefined),
      });
      const slot = slotMinutesAgo(5);
      const config = testConfig({ SMTP_URL: sink.url, DIGEST_CRON: slot.cron, MAIL_FROM: 'News <digest@news.example.com>', ...env });
      await seedStories(t.db, slot.sendAt);
      await seedReaders(t.db, 4);
      const { edition } = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, {
        now: new Date(),
      });
      const sender = createSender(smtpOptions(config, sink.url));
      try {
        const counts = await runEdition(
          { db: t.db, config, log: silentLogger, sender, messages: digestMessageSource(t.db, config) },
          edition,
          { workers: 1 },
        );
        expect(counts).toMatchObject({ sent: 0, failed: 4, retry: 0, queued: 0, sending: 0 });
        const errors = await t.db.selectFrom('deliveries').select('error').execute();
        for (const d of errors) expect(d.error).toMatch(/MAIL FROM refused: 553 5\.7\.1 Sender address rejected/);
        refuseSender = false;
        const r = await sender.send({ from: 'digest@news.example.com', to: UNKNOWN, raw: Buffer.from('Subject: x\r\n\r\nx\r\n') });
        expect(r).toMatchObject({ outcome: 'permanent', hardBounce: false, relayDown: false });
      } finally {
        await sender.close();
      }
      expect(sink.messages).toHaveLength(0);
      expect(await t.db.selectFrom('suppressions').selectAll().execute()).toEqual([]);
      expect((await t.db.selectFrom('subscribers').select('status').execute()).map((r) => r.status)).not.toContain('bounced');
    },
  );
});
