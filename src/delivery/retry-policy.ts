/**
 * Exponential backoff with "equal jitter" (half the delay fixed, half drawn at random) for transient
 * failures, bounded both in attempts and by the edition's cutoff: a daily digest goes stale, so it is
 * given up within hours, not days. Not full jitter ([0, d)): a greylisting relay (451) refuses a retry
 * that comes back at once, so a retry never comes sooner than half its backoff; the random half still
 * spreads a whole batch that failed together (a relay restart) over d/2.
 */
export interface RetryPolicy {
  /** Delay before the second attempt, in seconds; doubled for each attempt after. */
  readonly baseSeconds: number;
  /** Attempts in all (the first included); after the last, the delivery fails. */
  readonly maxAttempts: number;
  /** No retry is scheduled after this instant (the edition's cutoff). */
  readonly giveUpAt?: Date | undefined;
}

export type RetryDecision = { readonly retry: true; readonly at: Date } | { readonly retry: false; readonly why: 'attempts' | 'cutoff' };

const MAX_DELAY_S = 3600;

/**
 * `attempts`: how many attempts have been made, this one included. `random` in [0, 1) is injected so
 * the table-driven test is exact. The delay is drawn uniformly from [d/2, d) where
 * d = base × 2^(attempts-1), capped at an hour.
 */
export function nextRetry(policy: RetryPolicy, attempts: number, now: Date, random: number = Math.random()): RetryDecision {
  if (attempts >= policy.maxAttempts) return { retry: false, why: 'attempts' };
  const full = Math.min(MAX_DELAY_S, policy.baseSeconds * 2 ** Math.max(0, attempts - 1));
  const delayMs = Math.round((full / 2 + (full / 2) * random) * 1000);
  const at = new Date(now.getTime() + delayMs);
  if (policy.giveUpAt && at > policy.giveUpAt) return { retry: false, why: 'cutoff' };
  return { retry: true, at };
}
