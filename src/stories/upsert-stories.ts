import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { StoryInput } from './story-input.js';
import type { OwnedElsewhere } from './story-source.js';

/** What one batch did; inserted + updated + duplicates is always the number of items given. */
export interface UpsertResult {
  readonly inserted: number;
  readonly updated: number;
  /** Items that changed nothing: an earlier copy of a URL later in the same batch, or a story another source owns. */
  readonly duplicates: number;
  /** Of those, the ones another source owns (one per URL), to report with both sources. */
  readonly ownedElsewhere: readonly OwnedElsewhere[];
}

export interface UpsertOptions {
  /**
   * Sources that may update a story another source created (STORY_SOURCE_OVERRIDE): `api`, `file`,
   * a feed URL, or `*` for any. Such an update takes the story over: its source becomes the new one.
   */
  readonly sourceOverride?: readonly string[];
}

const CHUNK = 500;

/**
 * Idempotent upsert keyed on url: a re-import refreshes votes, comments and text and never duplicates.
 * The whole batch is one transaction, so a failure leaves nothing half-written. Within a batch the last
 * item for a url wins (ON CONFLICT cannot touch one row twice in one statement); the earlier copies
 * count as duplicates.
 *
 * A story belongs to its source (story-source.ts): the conflict's WHERE lets only the source that
 * created the row (or one STORY_SOURCE_OVERRIDE names) update it, in the same statement, so a feed
 * racing the API cannot slip in between a check and the write. A row the WHERE skips is not returned;
 * those are read back for the report. Rejected: checking owners with a SELECT first (racy, and a
 * second round trip per chunk for every batch, not only those with duplicates).
 *
 * A story whose source gave no date keeps the date it was first seen with; a dated one takes the
 * source's date, hence the two statements per chunk.
 */
export async function upsertStories(db: Db, inputs: readonly StoryInput[], options: UpsertOptions = {}): Promise<UpsertResult> {
  const byUrl = new Map<string, StoryInput>();
  for (const input of inputs) byUrl.set(input.story.url, input);
  const unique = [...byUrl.values()];
  const repeats = inputs.length - unique.length;
  if (unique.length === 0) return { inserted: 0, updated: 0, duplicates: repeats, ownedElsewhere: [] };
  const override = options.sourceOverride ?? [];
  const anySource = override.includes('*');

  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    let updated = 0;
    const ownedElsewhere: OwnedElsewhere[] = [];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      for (const dated of [true, false]) {
        const rows = chunk.filter((c) => c.datedBySource === dated).map((c) => c.story);
        if (rows.length === 0) continue;
        const result = await trx
          .insertInto('stories')
          .values(rows)
          .onConflict((oc) => {
            const update = oc.column('url').doUpdateSet((eb) => ({
              kind: eb.ref('excluded.kind'),
              title: eb.ref('excluded.title'),
              summary: eb.ref('excluded.summary'),
              byline: eb.ref('excluded.byline'),
              section: eb.ref('excluded.section'),
              image_url: eb.ref('excluded.image_url'),
              updated_at: eb.ref('excluded.updated_at'),
              votes: eb.ref('excluded.votes'),
              comments: eb.ref('excluded.comments'),
              source: eb.ref('excluded.source'),
              modified_at: sql<Date>`now()`,
              published_at: dated ? eb.ref('excluded.published_at') : eb.ref('stories.published_at'),
            }));
            if (anySource) return update;
            return update.where((eb) =>
              eb.or([
                eb('stories.source', '=', eb.ref('excluded.source')),
                ...(override.length > 0 ? [eb('excluded.source', 'in', override)] : []),
              ]),
            );
          })
          // xmax = 0 only on a freshly inserted row: how PostgreSQL tells an insert from an update.
          .returning(['url', sql<boolean>`(xmax = 0)`.as('inserted')])
          .execute();
        const fresh = result.filter((r) => r.inserted).length;
        inserted += fresh;
        updated += result.length - fresh;
        if (result.length < rows.length) {
          const written = new Set(result.map((r) => r.url));
          const skipped = rows.filter((r) => !written.has(r.url));
          const owners = await trx
            .selectFrom('stories')
            .select(['url', 'source'])
            .where(
              'url',
              'in',
              skipped.map((r) => r.url),
            )
            .execute();
          const ownerOf = new Map(owners.map((o) => [o.url, o.source]));
          for (const r of skipped) ownedElsewhere.push({ url: r.url, source: r.source ?? 'api', owner: ownerOf.get(r.url) ?? '(unknown)' });
        }
      }
    }
    return { inserted, updated, duplicates: repeats + ownedElsewhere.length, ownedElsewhere };
  });
}
