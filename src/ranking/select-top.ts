import type { StoryKind } from '../db/index.js';
import { score, type Scorable } from './score.js';

export interface Candidate extends Scorable {
  readonly id: number;
  readonly url: string;
  readonly kind: StoryKind;
}

export type Ranked<T extends Candidate> = T & { readonly score: number; readonly rank: number; readonly pinned: boolean };

/** An editor's choices for one day: pinned stories lead their section, excluded ones are left out. */
export interface EditorChoices {
  readonly pinned?: ReadonlySet<number>;
  readonly excluded?: ReadonlySet<number>;
}

export interface TopPick<T extends Candidate> {
  /** "Top stories": kind = story */
  readonly stories: Ranked<T>[];
  /** "From the blogs": kind = blog */
  readonly blogs: Ranked<T>[];
}

/**
 * Total order: higher score first; ties broken by more votes, then newer, then url, so the same
 * candidates always give the same edition whatever order the database returned them in.
 */
export function compareRanked(a: Candidate & { score: number }, b: Candidate & { score: number }): number {
  return (
    b.score - a.score ||
    b.votes - a.votes ||
    b.published_at.getTime() - a.published_at.getTime() ||
    (a.url < b.url ? -1 : a.url > b.url ? 1 : 0)
  );
}

/**
 * Ranks one kind of story and keeps the first `limit`. Pure: same input, same output. Pinned stories
 * come first (in score order among themselves) and count towards the limit; excluded ones never show.
 */
export function rankKind<T extends Candidate>(
  candidates: readonly T[],
  kind: StoryKind,
  at: Date,
  limit: number,
  choices: EditorChoices & { readonly ageUnitHours?: number } = {},
): Ranked<T>[] {
  const pinned = choices.pinned ?? new Set<number>();
  return candidates
    .filter((c) => c.kind === kind && !choices.excluded?.has(c.id))
    .map((c) => ({ ...c, score: score(c, at, choices.ageUnitHours), pinned: pinned.has(c.id) }))
    .sort((a, b) => Number(b.pinned) - Number(a.pinned) || compareRanked(a, b))
    .slice(0, Math.max(0, limit))
    .map((c, i) => ({ ...c, rank: i + 1 }));
}

/** The day's pick: the top `topStories` stories and the top `topBlogs` blog posts. */
export function selectTop<T extends Candidate>(
  candidates: readonly T[],
  options: { at: Date; topStories: number; topBlogs: number; ageUnitHours?: number } & EditorChoices,
): TopPick<T> {
  return {
    stories: rankKind(candidates, 'story', options.at, options.topStories, options),
    blogs: rankKind(candidates, 'blog', options.at, options.topBlogs, options),
  };
}
