import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/config/index.js';
import { deliveryCounts } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition } from '../../src/editions/index.js';
import { adminLogin, adminPost } from '../helpers/admin.js';
import { useCleanup } from '../helpers/cleanup.js';
import { runDigest } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/database.js';
import { seedReaders, seedStories, slotMinutesAgo } from '../helpers/delivery.js';
import { startTestServer, type TestServer } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

/**
 * A late send is for an edition past its cutoff. Asked for one still sending on its own schedule, the
 * admin and `digest send --late` refuse it and say why, changing nothing (no new cutoff, not marked
 * sent late): the readers it has not reached yet get it before its cutoff anyway. The admin does not
 * offer the button for it.
 */
const READERS = 5;

async function sendingEdition(t: TestDatabase) {
  const slot = slotMinutesAgo(5);
  const config = testConfig({ DIGEST_CRON: slot.cron });
  await seedStories(t.db, slot.sendAt);
  await seedReaders(t.db, READERS);
  // Prepared and left `sending`: no worker runs here, so nobody has it yet.
  const prepared = await prepareEdition({ db: t.db, config, log: silentLogger }, dailySpecs(config, slot.date)[0]!, { now: new Date() });
  expect(prepared.edition.status).toBe('sending');
  return { slot, config, edition: prepared.edition };
}

const row = (t: TestDatabase, id: number) =>
  t.db.selectFrom('editions').select(['status', 'cutoff_at', 'sent_late']).where('id', '=', id).executeTakeFirstOrThrow();

describe.each(ENGINES)('Send late in the admin, for an edition still sending, on %s', (engine) => {
  let t: TestDatabase | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    await t?.close();
    server = t = undefined;
  });

  it('is not offered, and a late send posted anyway is refused with the reason and changes nothing', async () => {
    t = await createTestDatabase(engine);
    const { slot, config, edition } = await sendingEdition(t);
    server = await startTestServer(t, config);
    const session = await adminLogin(server.url);
    const get = (path: string) => fetch(`${server!.url}${path}`, { headers: { cookie: session.cookie } }).then((r) => r.text());
    const before = await row(t, edition.id);

    // The Editions page offers no "Send late…" for it, and the confirmation page has no button.
    expect(await get(`/admin/editions?date=${slot.date}`)).not.toContain('/admin/editions/late?');
    const confirm = await get(`/admin/editions/late?date=${slot.date}&slot=${encodeURIComponent(edition.slot)}`);
    expect(confirm).toContain('a late send is only for an edition past its cutoff');
    expect(confirm).not.toContain('Send it late');
    expect(confirm).not.toContain('name="mode" value="late"');

    // The form posted anyway (an old tab, a script): refused, with why.
    const late = await adminPost(server.url, '/admin/editions/send-now', session, {
      date: slot.date,
      slot: edition.slot,
      mode: 'late',
      confirm: 'yes',
    });
    expect(late.status).toBe(303);
    const said = decodeURIComponent(late.headers.get('location')!);
    expect(said).toContain('is still sending, before its cutoff');
    expect(said).toContain('a late send is only for an edition past its cutoff. Nothing changed');
    expect(said).not.toContain('sending again, late');
    expect(await row(t, edition.id)).toEqual(before);
    expect(before.sent_late).toBe(false);
    expect(await deliveryCounts(t.db, edition.id)).toMatchObject({ queued: READERS, sent: 0 });

    // Past its cutoff but not yet expired by the housekeeping: still refused, pointing at what comes next.
    const passed = new Date(Date.now() - 60_000);
    await t.db.updateTable('editions').set({ cutoff_at: passed }).where('id', '=', edition.id).execute();
    const again = await adminPost(server.url, '/admin/editions/send-now', session, {
      date: slot.date,
      slot: edition.slot,
      mode: 'late',
      confirm: 'yes',
    });
    expect(decodeURIComponent(again.headers.get('location')!)).toContain('reached its cutoff');
    expect(await row(t, edition.id)).toEqual({ status: 'sending', cutoff_at: passed, sent_late: false });
  });
});

describe('digest send --late for an edition still sending (postgres)', () => {
  const track = useCleanup();

  it('exits 2 saying --late is only for an edition past its cutoff, sends nothing and changes nothing; without --late it sends', async () => {
    const t = track(await createTestDatabase('postgres'));
    const sink = track(await startSmtpSink());
    const dataDir = mkdtempSync(join(tmpdir(), 'digest-late-'));
    track({ close: () => rmSync(dataDir, { recursive: true, force: true }) });
    const { slot, edition } = await sendingEdition(t);
    const env = {
      DATABASE_URL: t.url!,
      SMTP_URL: sink.url,
      SECRET: 'test-secret-0123456789abcdef',
      DATA_DIR: dataDir,
      DIGEST_CRON: slot.cron,
    };
    const digest = (args: string[]) => runDigest(args, env, { timeoutMs: 90_000 });
    const before = await row(t, edition.id);

    const late = await digest(['send', '--date', slot.date, '--late']);
    expect(late.code, late.stderr).toBe(2);
    expect(late.stdout).toMatch(/still sending before its cutoff .*--late changes nothing/);
    expect(late.stderr).toMatch(/is still sending: --late is only for an edition past its cutoff/);
    expect(late.stderr).toMatch(/without --late/);
    expect(sink.messages).toHaveLength(0);
    expect(await row(t, edition.id)).toEqual(before);

    const plain = await digest(['send', '--date', slot.date]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/resuming/);
    expect(sink.messages).toHaveLength(READERS);
    expect(await row(t, edition.id)).toMatchObject({ status: 'sent', sent_late: false, cutoff_at: before.cutoff_at });
  });
});
