import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import type { StoryInput } from './story-input.js';

export interface UpsertResult {
  readonly inserted: number;
  readonly updated: number;
}

const CHUNK = 500;

/**
 * Idempotent upsert keyed on url: a re-import refreshes votes, comments and text and never duplicates.
 * The whole batch is one transaction, so a failure leaves nothing half-written. Within a batch the last
 * item for a url wins (ON CONFLICT cannot touch one row twice in one statement).
 *
 * A story whose source gave no date keeps the date it was first seen with; a dated one takes the
 * source's date, hence the two statements per chunk.
 */
export async function upsertStories(db: Db, inputs: readonly StoryInput[]): Promise<UpsertResult> {
  const byUrl = new Map<string, StoryInput>();
  for (const input of inputs) byUrl.set(input.story.url, input);
  const unique = [...byUrl.values()];
  if (unique.length === 0) return { inserted: 0, updated: 0 };

  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let i = 0; i < unique.length; i += CHUNK) {
      const chunk = unique.slice(i, i + CHUNK);
      for (const dated of [true, false]) {
        const rows = chunk.filter((c) => c.datedBySource === dated).map((c) => c.story);
        if (rows.length === 0) continue;
        const result = await trx
          .insertInto('stories')
          .values(rows)
          .onConflict((oc) =>
            oc.column('url').doUpdateSet((eb) => ({
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
            })),
          )
          // xmax = 0 only on a freshly inserted row: how PostgreSQL tells an insert from an update.
          .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
          .execute();
        inserted += result.filter((r) => r.inserted).length;
      }
    }
    return { inserted, updated: unique.length - inserted };
  });
}

