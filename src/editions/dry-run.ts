import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { createDeliveries } from '../delivery/index.js';
import { cutoffOf, type EditionSpec } from './edition-specs.js';
import { pickForEdition } from './pick-for-edition.js';

export interface DryRun {
  readonly spec: EditionSpec;
  /** The edition's state if it already exists. */
  readonly existing: string | undefined;
  readonly stories: number;
  readonly blogs: number;
  /** Readers the edition would be sent to now. */
  readonly recipients: number;
}

class Rollback extends Error {}

/**
 * `digest send --dry-run`: the real INSERT … SELECT inside a transaction that is rolled back, so the
 * count is exactly what a send would create, and nothing is written.
 */
export async function dryRunEdition(db: Db, config: Config, spec: EditionSpec): Promise<DryRun> {
  let out: DryRun | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      const existing = await trx
        .selectFrom('editions')
        .select('status')
        .where('date', '=', spec.date)
        .where('slot', '=', spec.slot)
        .executeTakeFirst();
      const edition = await trx
        .insertInto('editions')
        .values({
          date: spec.date,
          slot: `${spec.slot} (dry run)`,
          kind: spec.kind,
          send_at: spec.sendAt,
          window_start: spec.windowStart,
          window_end: spec.windowEnd,
          cutoff_at: cutoffOf(config, spec.sendAt),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const pick = await pickForEdition(trx, edition, config.sections);
      const recipients = await createDeliveries(trx, edition, config.digest.timeZone);
      out = { spec, existing: existing?.status, stories: pick.stories.length, blogs: pick.blogs.length, recipients };
      await sql`SELECT 1`.execute(trx);
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return out!;
}
