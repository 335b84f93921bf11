import type { Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/config/index.js';
import type { Db, Edition } from '../../src/db/index.js';
import { createSender, digestMessageSource } from '../../src/delivery/index.js';
import { dailySpecs, prepareEdition, runEdition, type EditionSpec, type SendOptions } from '../../src/editions/index.js';

/** Seeds `n` active readers r0001@example.com… and returns their ids. */
export async function seedReaders(
  db: Db,
  n: number,
  extra: Partial<{ status: 'pending' | 'active' | 'unsubscribed' | 'bounced'; prefix: string }> = {},
): Promise<number[]> {
  if (n === 0) return [];
  const prefix = extra.prefix ?? 'r';
  const rows = await db
    .insertInto('subscribers')
    .values(
      Array.from({ length: n }, (_, i) => ({
        email: `${prefix}${String(i).padStart(4, '0')}@example.com`,
        name: `Reader ${i}`,
        status: extra.status ?? 'active',
      })),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** A few stories inside the window ending at `end`. */
export async function seedStories(db: Db, end: Date, n = 3): Promise<void> {
  await db
    .insertInto('stories')
    .values(
      Array.from({ length: n }, (_, i) => ({
        url: `https://news.example.com/${end.getTime()}/${i}`,
        kind: i === n - 1 ? ('blog' as const) : ('story' as const),
        title: `Story ${i}`,
        summary: `Summary ${i}`,
        published_at: new Date(end.getTime() - (i + 1) * 3_600_000),
        votes: 10 - i,
      })),
    )
    .execute();
}

/** A date and a DIGEST_CRON whose slot was `minutesAgo` minutes ago (UTC), so an edition is due now. */
export function slotMinutesAgo(minutesAgo = 5): { date: string; cron: string; sendAt: Date } {
  const t = new Date(Date.now() - minutesAgo * 60_000);
  t.setUTCSeconds(0, 0);
  return { date: t.toISOString().slice(0, 10), cron: `${t.getUTCMinutes()} ${t.getUTCHours()} * * *`, sendAt: t };
}

/** Prepares the daily edition of `date` and sends it in-process to `smtpUrl`. */
export async function sendDaily(db: Db, config: Config, date: string, options: SendOptions = {}) {
  return sendSpec(db, config, dailySpecs(config, date)[0]!, new Date(), options);
}

/** Prepares the edition of `spec` as of `now` and sends it in-process to SMTP_URL. */
export async function sendSpec(db: Db, config: Config, spec: EditionSpec, now: Date, options: SendOptions = {}) {
  const prepared = await prepareEdition({ db, config, log: silentLogger }, spec, { now });
  return { prepared, counts: await sendEdition(db, config, prepared.edition, { now: now.getTime(), ...options }) };
}

/** Sends an edition already prepared, in-process, to SMTP_URL, until nothing is left. */
export async function sendEdition(db: Db, config: Config, edition: Edition, options: SendOptions = {}) {
  const sender = createSender({ url: config.smtp.url!, from: config.mailFrom, maxConnections: config.smtp.maxConnections });
  try {
    return await runEdition({ db, config, log: silentLogger, sender, messages: digestMessageSource(db, config) }, edition, options);
  } finally {
    await sender.close();
  }
}

/** An edition being sent, its cutoff six hours away: a row for tests that hang deliveries on one. */
export function insertSendingEdition(db: Db, date: string) {
  return db
    .insertInto('editions')
    .values({
      date,
      slot: '06:00',
      status: 'sending',
      send_at: new Date(),
      cutoff_at: new Date(Date.now() + 6 * 3_600_000),
      window_start: new Date(Date.now() - 86_400_000),
      window_end: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}
