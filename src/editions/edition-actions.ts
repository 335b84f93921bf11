import type { Edition } from '../db/index.js';
import { cutoffOf, type EditionSpec } from './edition-specs.js';
import { formatInstant as hm, type Config } from '../config/index.js';

/** What an operator can do with an edition now: the one button the admin shows beside it. */
export type EditionAction = 'send' | 'retry' | 'late' | 'resume' | 'none';

export interface EditionStanding {
  /** The state as an operator reads it ('not created yet', 'missed', or the lifecycle's own). */
  readonly state: string;
  /** Why nothing can be sent, or what will happen; empty when there is nothing to say. */
  readonly reason: string;
  readonly action: EditionAction;
  /** How old its newest news is now (hours since its window closed); 0 before then. */
  readonly newsAgeHours: number;
}

type Row = Pick<Edition, 'status' | 'error' | 'send_at' | 'cutoff_at' | 'updated_at' | 'window_end'>;

const hours = (ms: number) => Math.max(0, Math.round(ms / 3_600_000));

/**
 * Where an edition stands for an operator at `now`, and the action that helps: the admin's Send now
 * list. Pure, so every state is tested at any hour (test/unit/editions.actions.test.ts). The rules are
 * the lifecycle's (edition-state.ts), read from the operator's side.
 */
export function standingOf(config: Config, spec: EditionSpec, row: Row | undefined, now: Date): EditionStanding {
  const newsAgeHours = hours(now.getTime() - (row?.window_end ?? spec.windowEnd).getTime());
  const cutoff = row?.cutoff_at ?? cutoffOf(config, spec.sendAt);
  const late = `past its cutoff (${hm(cutoff)}); its news is ${newsAgeHours} h old. Sending it late is your decision.`;
  if (!row) {
    if (now > cutoff) return { state: 'missed', reason: `never sent and ${late}`, action: 'late', newsAgeHours };
    const due = spec.sendAt > now ? `due ${hm(spec.sendAt)}; "Send now" sends it early, with the stories published so far` : 'due now';
    return { state: 'not created yet', reason: due, action: 'send', newsAgeHours };
  }
  const error = row.error ? row.error.split('\n')[0]! : '';
  switch (row.status) {
    case 'planned':
    case 'rendering':
      return now > cutoff
        ? { state: row.status, reason: late, action: 'late', newsAgeHours }
        : { state: row.status, reason: '', action: 'send', newsAgeHours };
    case 'empty':
      return row.updated_at < row.send_at
        ? {
            state: 'empty so far',
            reason: `no stories yet; picked again at its send time (${hm(row.send_at)})`,
            action: 'send',
            newsAgeHours,
          }
        : { state: 'empty', reason: 'no stories were published in its window: nothing to send', action: 'none', newsAgeHours };
    case 'failed':
      return { state: 'failed', reason: `${error} Fix the cause, then retry.`, action: now > cutoff ? 'late' : 'retry', newsAgeHours };
    case 'expired':
      return { state: 'expired', reason: `${error ? `${error}; ` : ''}${late}`, action: 'late', newsAgeHours };
    case 'paused':
      return { state: 'paused', reason: 'paused by an operator: workers do not claim its deliveries', action: 'resume', newsAgeHours };
    case 'sending':
      return { state: 'sending', reason: '', action: 'none', newsAgeHours };
    case 'sent':
      return { state: 'sent', reason: 'every reader has had it', action: 'none', newsAgeHours };
  }
}
