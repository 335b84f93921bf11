import { sql } from 'kysely';
import type { Config, Logger } from '../config/index.js';
import type { Db, Edition } from '../db/index.js';
import { describePreflight, editionInputFor, preflightEdition, renderEdition } from '../render/index.js';
import { clickLinks } from '../stories/index.js';
import { createDeliveries } from './deliveries.create.js';
import { cutoffOf, type EditionSpec } from './edition.spec.js';
import { pickForEdition } from './edition.pick.js';
import { expireEdition, markEmpty, markRenderFailed, startRendering, startSending } from './edition.states.js';

export type PrepareOutcome =
  /** Just rendered; its deliveries were created now. */
  | 'created'
  /** Already sending (a resumed or repeated `digest send`): nothing new is added. */
  | 'resumed'
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

/**
 * Creates (or finds) the edition of `spec` and takes it as far as `sending`: pick the stories, render
 * once, record the story ids, create the deliveries. All of it runs in one transaction holding the
 * edition's row lock, so two instances (or a scheduler and an operator's `digest send`) cannot both
 * do it, and a crash part-way leaves the edition `planned` with no deliveries, ready to start over.
 * Doing it again is harmless: an edition past `rendering` is returned as it is.
 */
export async function prepareEdition(deps: PrepareDeps, spec: EditionSpec, now: Date = new Date()): Promise<PreparedEdition> {
  const { config, log } = deps;
  const timings = { pickMs: 0, renderMs: 0, deliveriesMs: 0 };
  const result = await deps.db.transaction().execute(async (trx) => {
    // Inside the transaction only `trx` is used (design.md: `db` here hangs PGlite for ever).
    await trx
      .insertInto('editions')
      .values({ date: spec.date, slot: spec.slot, kind: spec.kind, send_at: spec.sendAt, window_start: spec.windowStart, window_end: spec.windowEnd })
      .onConflict((oc) => oc.columns(['date', 'slot']).doNothing())
      .execute();
    const edition = await trx.selectFrom('editions').selectAll().where('date', '=', spec.date).where('slot', '=', spec.slot).forUpdate().executeTakeFirstOrThrow();
    const done = (outcome: PrepareOutcome, deliveriesCreated = 0) => ({ id: edition.id, outcome, deliveriesCreated });
    switch (edition.status) {
      case 'sending':
        return done('resumed');
      case 'sent':
        return done('already_sent');
      case 'empty':
      case 'expired':
      case 'failed':
      case 'paused':
        return done(edition.status);
      case 'planned':
      case 'rendering':
        break;
    }
    if (now > cutoffOf(config, edition.send_at)) {
      await expireEdition(trx, edition.id, `not started before its cutoff (${config.digest.cutoffHours} h after ${edition.send_at.toISOString()})`);
      return done('expired');
    }
    if (edition.status === 'planned') await startRendering(trx, edition.id);

    let t = performance.now();
    const pick = await pickForEdition(trx, edition, config.sections);
    timings.pickMs = performance.now() - t;
    const count = pick.stories.length + pick.blogs.length;
    if (count === 0 && config.delivery.emptyDay === 'skip') {
      await markEmpty(trx, edition.id, 'no stories published in the window (EMPTY_DAY=skip)');
      return done('empty');
    }
    let rendered;
    t = performance.now();
    try {
      rendered = await renderEdition(
        editionInputFor(config, { date: edition.date, stories: pick.stories, blogs: pick.blogs, ...clickLinks(config, edition.id) }),
      );
    } catch (err) {
      await markRenderFailed(trx, edition.id, `render failed: ${(err as Error).message}`.slice(0, 1000));
      return done('failed');
    }
    // Preflight: an edition that would hurt deliverability (over Gmail's clipping size, links that are
    // not absolute http(s), a broken unsubscribe, folded List-Unsubscribe, leftover placeholders) never
    // leaves; the reason is kept on the edition for `digest status` and the admin.
    const report = await preflightEdition(rendered, { publicUrl: config.publicUrl, from: config.mailFrom });
    if (!report.ok) {
      await markRenderFailed(trx, edition.id, describePreflight(report).slice(0, 2000));
      return done('failed');
    }
    timings.renderMs = performance.now() - t;
    await trx
      .updateTable('editions')
      .set({ subject: rendered.subject, html: rendered.html, text: rendered.text, story_ids: [...rendered.storyIds], updated_at: sql`now()` })
      .where('id', '=', edition.id)
      .execute();
    t = performance.now();
    const created = await createDeliveries(trx, edition, config.digest.timeZone);
    timings.deliveriesMs = performance.now() - t;
    await startSending(trx, edition.id);
    return done('created', created);
  });
  const edition = await deps.db.selectFrom('editions').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
  const base = { edition: edition.id, date: edition.date, slot: edition.slot, kind: edition.kind };
  switch (result.outcome) {
    case 'created':
      log.info({ event: 'edition.sending', ...base, deliveries: result.deliveriesCreated, stories: edition.story_ids.length, timings }, 'edition rendered, deliveries created');
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
