import { sql } from 'kysely';
import { formatInstant as iso, type Config } from '../config/index.js';
import type { Db, Edition } from '../db/index.js';
import { createDeliveries } from '../delivery/index.js';
import { cutoffOf, type EditionSpec } from './edition-specs.js';
import { pickForEdition } from './pick-for-edition.js';

/** The edition's row as a dry run reads it, when it exists already. */
export type ExistingEdition = Pick<
  Edition,
  'id' | 'status' | 'error' | 'send_at' | 'cutoff_at' | 'updated_at' | 'window_end' | 'sent_late'
> & {
  /** Rendered already (an expired edition that had started resumes when sent late). */
  readonly rendered: boolean;
};

export interface DryRun {
  readonly spec: EditionSpec;
  /** The edition's state if it already exists. */
  readonly existing: string | undefined;
  /** Its row, if it exists. */
  readonly row: ExistingEdition | undefined;
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
      const row = await trx
        .selectFrom('editions')
        .select([
          'id',
          'status',
          'error',
          'send_at',
          'cutoff_at',
          'updated_at',
          'window_end',
          'sent_late',
          sql<boolean>`html IS NOT NULL`.as('rendered'),
        ])
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
      out = { spec, existing: row?.status, row, stories: pick.stories.length, blogs: pick.blogs.length, recipients };
      await sql`SELECT 1`.execute(trx);
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return out!;
}

/**
 * What `digest send` would do with the edition: send it, send it late (--late), resume it, or send
 * nothing for one of the lifecycle's reasons. The outcomes without a send are prepareEdition's own
 * (PrepareOutcome), so the dry run's exit code is the send's.
 */
export type SendForecast =
  | { readonly outcome: 'send' | 'send_late' | 'resume'; readonly why: string }
  | { readonly outcome: 'already_sent' | 'paused' | 'failed' | 'expired' | 'empty' | 'not_late'; readonly why: string };

/**
 * prepareEdition's decisions, read without taking any (edition-state.ts, prepare-edition.ts): the same
 * order of checks on the same row and the same clock, so a dry run at 20:06 says "expired" exactly
 * when the send at 20:06 would expire the edition. Pure.
 */
export function forecastSend(
  config: Config,
  spec: EditionSpec,
  run: Pick<DryRun, 'row' | 'stories' | 'blogs'>,
  options: { readonly now: Date; readonly late?: boolean | undefined; readonly retry?: boolean | undefined },
): SendForecast {
  const { row } = run;
  const { now } = options;
  let late = false;
  switch (row?.status) {
    case 'sending':
      if (options.late && !row.sent_late) {
        return { outcome: 'not_late', why: 'still sending on its own schedule; --late is only for an edition past its cutoff' };
      }
      return { outcome: 'resume', why: 'already sending; a send resumes it, adding nobody' };
    case 'sent':
      return { outcome: 'already_sent', why: 'already sent; a send sends nothing new' };
    case 'paused':
      return { outcome: 'paused', why: 'paused by an operator; a send sends nothing (Resume it in the admin)' };
    case 'empty':
      // Found empty at or after its send time, it stays empty (reopenEmpty).
      if (!(row.updated_at < row.send_at)) return { outcome: 'empty', why: `empty: ${row.error ?? 'no stories in its window'}` };
      break;
    case 'failed':
      if (!options.retry) return { outcome: 'failed', why: `failed: ${(row.error ?? '').split('\n')[0]} (--retry tries again)` };
      break;
    case 'expired':
      if (!options.late) return { outcome: 'expired', why: `expired: ${row.error ?? 'past its cutoff'} (--late sends it anyway)` };
      if (row.rendered) return { outcome: 'resume', why: 'expired part-way; --late resumes it with a new cutoff' };
      late = true;
      break;
    default:
      break;
  }
  const cutoff = row?.cutoff_at ?? cutoffOf(config, spec.sendAt);
  if (!late && now > cutoff) {
    if (!options.late) {
      return {
        outcome: 'expired',
        why: `expired: past its cutoff ${iso(cutoff)} (${config.digest.cutoffHours} h after its send time); a send sends nothing (--late sends it anyway)`,
      };
    }
    late = true;
  }
  if (run.stories + run.blogs === 0 && config.delivery.emptyDay === 'skip') {
    return {
      outcome: 'empty',
      why: `empty: no stories published in its window (${iso(spec.windowStart)} – ${iso(spec.windowEnd)}); a send sends nothing`,
    };
  }
  const early = spec.sendAt > now ? `, early (due ${iso(spec.sendAt)})` : '';
  const note = run.stories + run.blogs === 0 ? ' (no stories: the "nothing new" note, EMPTY_DAY=note)' : '';
  return late
    ? { outcome: 'send_late', why: `past its cutoff ${iso(cutoff)}: --late sends it anyway${note}${early}` }
    : { outcome: 'send', why: `a send sends it now${note}${early}` };
}
