export { COMMENT_WEIGHT, GRAVITY, score, type Scorable } from './score.js';
export { compareRanked, rankKind, selectTop, type Candidate, type Ranked, type TopPick } from './select-top.js';
export { localDate, parseIsoDate, wallTime, zonedTimeToUtc, type WallTime } from './zoned-time.js';
