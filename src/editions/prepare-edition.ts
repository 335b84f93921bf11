import { sql } from 'kysely';
import { formatInstant, type Config, type Logger } from '../config/index.js';
import type { Db, Edition } from '../db/index.js';
import { createDeliveries } from '../delivery/index.js';
import { describePreflight, editionInputFor, preflightEdition, renderEdition, type RenderedEdition } from '../render/index.js';
import { clickLinks } from '../stories/index.js';
import { cutoffOf, type EditionSpec } from './edition-specs.js';
import { pickForEdition } from './pick-for-edition.js';
import {
  expireEdition,
  markEmpty,
  markFailed,
  moveCutoff,
  reopenEmpty,
  retryFailed,
  sendLate,
  startRendering,
  startSending,
} from './edition-state.js';

export type PrepareOutcome =
  /** Just rendered; its deliveries were created now. */
  | 'created'
  /** Already sending (a resumed or repeated `digest send`): nothing new is added. */
  | 'resumed'
  /**
   * A late send asked for an edition still sending on its own schedule: refused, nothing changed.
   * It needs none (its readers not reached yet get it before its cutoff); once past its cutoff it
   * expires, and a late send then sends it to the rest.
   */
  | 'not_late'
  | 'already_sent'
  | 'empty'
  | 'expired'
  | 'failed'
  | 'paused';

export interface PreparedEdition {
  readonly edition: Edition;
  readonly outcome: PrepareOutcome;
  /** Deliveries created by this call (0 unless `created`). */
  readonly deliveriesCreated: number;
  /** Milliseconds spent on each step of this call (ranking, MJML, the deliveries INSERT … SELECT). */
  readonly timings: { readonly pickMs: number; readonly renderMs: number; readonly deliveriesMs: number };
}

export interface PrepareDeps {
  readonly db: Db;
  readonly config: Config;
  readonly log: Logger;
}

export interface PrepareOptions {
  /** The caller's clock reading (config/clock.ts): what is past its cutoff, and when. */
  readonly now: Date;
  /** An operator's deliberate late send: past the cutoff, send anyway with a new one. */
  readonly late?: boolean;
  /** An operator's retry of a `failed` edition (the cause fixed). */
  readonly retry?: boolean;
}

/**
 * Creates (or finds) the edition of `spec` and takes it as far as `sending`: pick the stories, render
 * once, record the story ids, create the deliveries. All of it runs in one transaction holding the
 * edition's row lock, so two instances (or a scheduler and an operator's `digest send`) cannot both
 * do it, and a crash part-way leaves the edition `planned` with no deliveries, ready to start over.
 * Doing it again is harmless: an edition past `rendering` is returned as it is, unless the lifecycle
 * lets it move (edition-state.ts): an early empty is re-picked, a failed one retried on request,
 * an expired one sent late on request.
 */
export async function prepareEdition(deps: PrepareDeps, spec: EditionSpec, options: PrepareOptions): Promise<PreparedEdition> {
  const { config, log } = deps;
  const { now } = options;
  const timings = { pickMs: 0, renderMs: 0, deliveriesMs: 0 };
  const newCutoff = cutoffOf(config, now);
  const result = await deps.db.transaction().execute(async (trx) => {
    // Inside the transaction only `trx` is used (design.md: `db` here hangs PGlite for ever).
    await trx
      .insertInto('editions')
      .values({
        date: spec.date,
        slot: spec.slot,
        kind: spec.kind,
        send_at: spec.sendAt,
        window_start: spec.windowStart,
        window_end: spec.windowEnd,
        cutoff_at: cutoffOf(config, spec.sendAt),
      })
      .onConflict((oc) => oc.columns(['date', 'slot']).doNothing())
      .execute();
    const edition = await trx
      .selectFrom('editions')
      .selectAll()
      .where('date', '=', spec.date)
      .where('slot', '=', spec.slot)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const done = (outcome: PrepareOutcome, deliveriesCreated = 0) => ({ id: edition.id, outcome, deliveriesCreated });
    switch (edition.status) {
      case 'sending':
        // A late send repeated (interrupted, run again) resumes it; on an edition sending on time it
        // would change nothing, and saying "sending late" would be untrue.
        return done(options.late && !edition.sent_late ? 'not_late' : 'resumed');
      case 'sent':
        return done('already_sent');
      case 'paused':
        return done('paused');
      case 'empty':
        if (!(await reopenEmpty(trx, edition.id))) return done('empty');
        break;
      case 'failed':
        if (!options.retry || !(await retryFailed(trx, edition.id))) return done('failed');
        log.info(
          { event: 'edition.retried', edition: edition.id, date: edition.date, slot: edition.slot, previousError: edition.error },
          'operator retried a failed edition',
        );
        break;
      case 'expired': {
        if (!options.late) return done('expired');
        const to = await sendLate(trx, edition, newCutoff);
        log.warn(
          { event: 'edition.sent_late', edition: edition.id, date: edition.date, slot: edition.slot, cutoff: newCutoff },
          'operator is sending an expired edition late, on purpose',
        );
        if (to === 'sending') return done('resumed');
        edition.cutoff_at = newCutoff;
        break;
      }
      case 'planned':
      case 'rendering':
        break;
    }
    if (now > edition.cutoff_at) {
      if (!options.late) {
        await expireEdition(
          trx,
          edition.id,
          `not started before its cutoff ${formatInstant(edition.cutoff_at)} (${config.digest.cutoffHours} h after its send time)`,
        );
        return done('expired');
      }
      await moveCutoff(trx, edition.id, newCutoff, ['planned', 'rendering']);
      log.warn(
        { event: 'edition.sent_late', edition: edition.id, date: edition.date, slot: edition.slot, cutoff: newCutoff },
        'operator is sending an edition past its cutoff, on purpose',
      );
    }
    await startRendering(trx, edition.id);

    let t = performance.now();
    const pick = await pickForEdition(trx, edition, config.sections);
    timings.pickMs = performance.now() - t;
    const count = pick.stories.length + pick.blogs.length;
    if (count === 0 && config.delivery.emptyDay === 'skip') {
      const before = now < edition.send_at;
      await markEmpty(
        trx,
        edition.id,
        `no stories published in the window (EMPTY_DAY=skip)${before ? '; picked again at its send time' : ''}`,
        now,
      );
      return done('empty');
    }
    let rendered: RenderedEdition;
    t = performance.now();
    try {
      rendered = await renderEdition(
        editionInputFor(config, {
          date: edition.date,
          slot: edition.slot,
          kind: edition.kind,
          stories: pick.stories,
          blogs: pick.blogs,
          ...clickLinks(config, edition.id),
        }),
      );
    } catch (err) {
      await markFailed(trx, edition.id, `render failed: ${(err as Error).message}`.slice(0, 1000));
      return done('failed');
    }
    // Preflight: an edition that would hurt deliverability (over Gmail's clipping size, links that are
    // not absolute http(s), a broken unsubscribe, folded List-Unsubscribe, leftover markers) never
    // leaves; the reason is kept on the edition for `digest status` and the admin.
    const report = await preflightEdition(rendered, { publicUrl: config.publicUrl, from: config.mailFrom });
    if (!report.ok) {
      await markFailed(trx, edition.id, describePreflight(report).slice(0, 2000));
      return done('failed');
    }
    timings.renderMs = performance.now() - t;
    await trx
      .updateTable('editions')
      .set({
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        story_ids: [...rendered.storyIds],
        updated_at: sql`now()`,
      })
      .where('id', '=', edition.id)
      .execute();
    t = performance.now();
    const created = await createDeliveries(trx, edition, config.digest.timeZone);
    timings.deliveriesMs = performance.now() - t;
    await startSending(trx, edition.id, now);
    return done('created', created);
  });
  const edition = await deps.db.selectFrom('editions').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
  const base = { edition: edition.id, date: edition.date, slot: edition.slot, kind: edition.kind };
  switch (result.outcome) {
    case 'created':
      log.info(
        { event: 'edition.sending', ...base, deliveries: result.deliveriesCreated, stories: edition.story_ids.length, timings },
        'edition rendered, deliveries created',
      );
      break;
    case 'empty':
      log.info({ event: 'edition.empty', ...base }, `edition ${edition.date} ${edition.slot} is empty: ${edition.error}`);
      break;
    case 'expired':
      log.warn({ event: 'edition.expired', ...base }, `edition ${edition.date} ${edition.slot} expired: ${edition.error}`);
      break;
    case 'failed':
      log.error({ event: 'edition.failed', ...base }, `edition ${edition.date} ${edition.slot} failed: ${edition.error}`);
      break;
    default:
      log.debug({ event: 'edition.found', ...base, status: edition.status }, 'edition already prepared');
  }
  return { edition, outcome: result.outcome, deliveriesCreated: result.deliveriesCreated, timings };
}
