import { z } from 'zod';
import type { NewStory, StoryKind } from '../db/index.js';
import { cleanLine, cleanText } from './clean-text.js';

/** Limits on what one story may carry; the email only ever shows a teaser. */
export const STORY_LIMITS = { url: 2048, title: 500, summary: 20_000, byline: 200, section: 100 } as const;

/** One problem with one item of a batch, named so an operator can find and fix it. */
export interface ItemProblem {
  /** 0-based position in the batch (or file). */
  readonly index: number;
  readonly url: string | undefined;
  readonly field: string;
  readonly message: string;
}

/** A validated story ready to upsert, and whether its publication date came from the source. */
export interface StoryInput {
  readonly story: NewStory;
  /** False when the source gave no date: the first-seen time is used and a re-import keeps it. */
  readonly datedBySource: boolean;
}

const httpUrl = (field: string, max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? `${field} is missing` : `${field} must be a string`) })
    .transform((s) => s.trim())
    .refine((s) => s.length <= max, { error: `${field} is longer than ${max} characters` })
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
        } catch {
          return false;
        }
      },
      { error: `${field} must be an absolute http(s) URL` },
    )
    .transform((s) => new URL(s).toString());

const line = (field: string, max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? `${field} is missing` : `${field} must be a string`) })
    .transform(cleanLine)
    .refine((s) => s.length <= max, { error: `${field} is longer than ${max} characters` });

const count = (field: string) =>
  z.coerce.number({ error: `${field} must be a number` }).refine((n) => Number.isInteger(n) && n >= 0 && n <= 2_147_483_647, {
    error: (i) => `${field} must be a whole number from 0 (got ${JSON.stringify(i.input)})`,
  });

/** Accepts ISO 8601 and RFC 2822 (feeds); refuses dates that do not exist (2019-02-30) or are absurd. */
export function parseDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).trim();
  const d = new Date(typeof value === 'number' ? value : s);
  if (Number.isNaN(d.getTime())) return undefined;
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(s);
  if (iso) {
    const [, y, m, day] = iso.map(Number) as [number, number, number, number];
    const check = new Date(Date.UTC(y, m - 1, day));
    if (check.getUTCMonth() !== m - 1 || check.getUTCDate() !== day) return undefined;
  }
  const year = d.getUTCFullYear();
  return year >= 1970 && year <= 2200 ? d : undefined;
}

const date = (field: string) =>
  z.unknown().transform((v, ctx) => {
    const d = parseDate(v);
    if (!d) {
      ctx.addIssue({ code: 'custom', message: `${field} ${JSON.stringify(v)} is not a valid date (use ISO 8601)` });
      return z.NEVER;
    }
    return d;
  });

const nullable = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

const itemSchema = z.object({
  url: httpUrl('url', STORY_LIMITS.url),
  kind: z.enum(['story', 'blog'], { error: 'kind must be "story" or "blog"' }).optional(),
  title: line('title', STORY_LIMITS.title).refine((s) => s.length > 0, { error: 'title is empty' }),
  summary: nullable(
    z
      .string({ error: 'summary must be a string' })
      .refine((s) => s.length <= STORY_LIMITS.summary, {
        error: (i) => `summary is ${String(i.input).length} characters; the limit is ${STORY_LIMITS.summary}`,
      })
      // A bidi override left open would reverse the rest of the teaser (and what follows it).
      .transform(cleanText),
  ),
  byline: nullable(line('byline', STORY_LIMITS.byline)),
  section: nullable(line('section', STORY_LIMITS.section)),
  image_url: nullable(httpUrl('image_url', STORY_LIMITS.url)),
  published_at: nullable(date('published_at')),
  updated_at: nullable(date('updated_at')),
  votes: nullable(count('votes')),
  comments: nullable(count('comments')),
});

/** Field names a CMS is likely to send, mapped to ours. */
const ALIASES: Record<string, string> = {
  link: 'url',
  type: 'kind',
  teaser: 'summary',
  description: 'summary',
  author: 'byline',
  image: 'image_url',
  imageUrl: 'image_url',
  publishedAt: 'published_at',
  updatedAt: 'updated_at',
};

function withAliases(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = ALIASES[k] ?? k;
    if (!(key in out) || out[key] === undefined) out[key] = v;
  }
  return out;
}

export type ParseItemResult = { ok: true; input: StoryInput } | { ok: false; problems: ItemProblem[] };

/**
 * Validates one incoming story. `defaults` fill what the source cannot say (a feed's kind, the time it
 * was fetched).
 */
export function parseStoryItem(
  raw: unknown,
  index: number,
  defaults: { kind?: StoryKind; source?: string; now?: Date } = {},
): ParseItemResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [{ index, url: undefined, field: '(item)', message: 'item must be a JSON object' }] };
  }
  const fields = withAliases(raw as Record<string, unknown>);
  const parsed = itemSchema.safeParse(fields);
  const url = typeof fields.url === 'string' ? fields.url : undefined;
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        index,
        url,
        field: String(issue.path[0] ?? '(item)'),
        message: issue.message.startsWith('Invalid input') ? `${String(issue.path[0])} is missing` : issue.message,
      })),
    };
  }
  const v = parsed.data;
  const now = defaults.now ?? new Date();
  return {
    ok: true,
    input: {
      datedBySource: v.published_at !== undefined,
      story: {
        url: v.url,
        kind: v.kind ?? defaults.kind ?? 'story',
        title: v.title,
        summary: v.summary?.trim() ?? '',
        byline: v.byline || null,
        section: v.section || null,
        image_url: v.image_url ?? null,
        published_at: v.published_at ?? now,
        updated_at: v.updated_at ?? null,
        votes: v.votes ?? 0,
        comments: v.comments ?? 0,
        source: defaults.source ?? 'api',
      },
    },
  };
}

export interface ParsedBatch {
  readonly items: StoryInput[];
  readonly problems: ItemProblem[];
}

/** Validates a batch: a single object or an array. Good items are kept beside the bad ones' problems. */
export function parseStoryBatch(raw: unknown, defaults: Parameters<typeof parseStoryItem>[2] = {}): ParsedBatch {
  const list = Array.isArray(raw) ? raw : [raw];
  const items: StoryInput[] = [];
  const problems: ItemProblem[] = [];
  list.forEach((item, index) => {
    const r = parseStoryItem(item, index, defaults);
    if (r.ok) items.push(r.input);
    else problems.push(...r.problems);
  });
  return { items, problems };
}

/** A URL (or source) from a hostile file as one printable line: no CR/LF, NUL or bidi control to forge lines with. */
export function printableLine(text: string, max = 200): string {
  return text.slice(0, max).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => encodeURIComponent(c));
}

/** One line per problem, whatever the item's URL holds. */
export function describeProblem(p: ItemProblem): string {
  const url = p.url === undefined ? undefined : printableLine(p.url);
  return `item ${p.index + 1}${url ? ` (${url})` : ''}: ${p.message}`;
}
