/**
 * How a story ranks inside its edition window. Engagement grows the score, age shrinks it:
 *
 *   score = (votes + 2 × comments + 1) / (age_hours + 2) ^ 1.5
 *
 * - A comment costs a reader more than a vote, so it counts twice.
 * - The +1 lets a fresh story with no engagement yet still rank (by recency) against old quiet ones.
 * - The gravity of 1.5 (gentler than Hacker News' 1.8) suits a daily window: a story from this morning
 *   with half the votes of one from last night ranks about level with it.
 * - Age is measured at the edition's send time and never negative (a story stamped a little in the
 *   future counts as brand new).
 * - Age is counted in `unitHours`: hours for a daily edition, days (24) for the weekly one, whose
 *   seven-day window would otherwise let any story from today outrank the week's biggest.
 */
export const GRAVITY = 1.5;
export const COMMENT_WEIGHT = 2;

export interface Scorable {
  readonly votes: number;
  readonly comments: number;
  readonly published_at: Date;
}

export function score(story: Scorable, at: Date, unitHours = 1): number {
  const age = Math.max(0, (at.getTime() - story.published_at.getTime()) / (3_600_000 * unitHours));
  const engagement = Math.max(0, story.votes) + COMMENT_WEIGHT * Math.max(0, story.comments) + 1;
  return engagement / (age + 2) ** GRAVITY;
}
