import { formatInstant as hm } from '../config/index.js';
import type { Edition } from '../db/index.js';
import type { DeliveryCounts } from '../delivery/index.js';
import type { PrepareOutcome } from '../editions/index.js';
import { EXIT, type ExitCode } from './cli-error.js';

export interface SendVerdict {
  /** What `digest send` prints for the edition. */
  readonly line: string;
  readonly exitCode: ExitCode;
  /** For a non-zero code: the one line that says why, and what helps. */
  readonly problem?: string;
  readonly hint?: string;
}

const hoursOld = (edition: Pick<Edition, 'window_end'>, now: Date) =>
  Math.max(0, Math.round((now.getTime() - edition.window_end.getTime()) / 3_600_000));

/**
 * What one edition's `digest send` comes to, and its exit code (cli-error.ts EXIT). Pure, so every
 * outcome is tested without a relay: 0 when it sent or had been sent already; a code of its own for
 * each reason nothing went out.
 */
export function sendOutcome(
  edition: Pick<Edition, 'date' | 'slot' | 'error' | 'window_end'> & { readonly cutoff_at?: Date },
  outcome: PrepareOutcome | 'sent',
  counts: Pick<DeliveryCounts, 'sent' | 'failed' | 'total'>,
  context: { now: Date },
): SendVerdict {
  const name = `edition ${edition.date} ${edition.slot}`;
  const why = edition.error ? `: ${edition.error.split('\n')[0]}` : '';
  switch (outcome) {
    case 'sent':
      if (counts.sent === 0 && counts.failed > 0) {
        return {
          line: `the relay refused all ${counts.failed} message(s)`,
          exitCode: EXIT.refused,
          problem: `${name}: the relay refused every message (${counts.failed})`,
          hint: "digest status shows the replies; check SMTP_URL, the sender domain and the relay's logs",
        };
      }
      return { line: 'done', exitCode: EXIT.ok };
    case 'created':
    case 'resumed':
    case 'already_sent':
      return { line: `already sent; nothing new to send (${counts.sent} sent earlier)`, exitCode: EXIT.ok };
    case 'expired':
      return {
        line: `expired${why}; not sent`,
        exitCode: EXIT.expired,
        problem: `${name} is past its cutoff and was not sent (its news is ${hoursOld(edition, context.now)} h old)`,
        hint: 'to send it anyway, run digest send again with --late',
      };
    case 'failed':
      return {
        line: `failed${why}`,
        exitCode: EXIT.failed,
        problem: `${name} failed${why}`,
        hint: 'fix the cause (the template or the settings named above), then run digest send --retry',
      };
    case 'empty':
      return {
        line: `empty${why}; nothing to send`,
        exitCode: EXIT.empty,
        problem: `${name} has no stories in its window: nothing was sent`,
        hint: 'add stories (digest stories import, POST /api/stories, FEED_URLS) or set EMPTY_DAY=note to send a "nothing new" edition',
      };
    case 'not_late':
      return !edition.cutoff_at || edition.cutoff_at > context.now
        ? {
            line: `still sending before its cutoff${edition.cutoff_at ? ` (${hm(edition.cutoff_at)})` : ''}; --late changes nothing, not sent late`,
            exitCode: EXIT.usage,
            problem: `${name} is still sending: --late is only for an edition past its cutoff`,
            hint: 'run digest send without --late to follow its send (it resumes where it is); if it reaches its cutoff it expires, and --late then sends it to the readers it had not reached',
          }
        : {
            line: `reached its cutoff (${hm(edition.cutoff_at)}) while sending; not sent late`,
            exitCode: EXIT.usage,
            problem: `${name} reached its cutoff while sending and is being stopped`,
            hint: 'once digest status shows it expired, run digest send --late to send it to the readers it had not reached',
          };
    case 'paused':
      return {
        line: `paused by an operator (${counts.sent} of ${counts.total} sent before the pause)`,
        exitCode: EXIT.paused,
        problem: `${name} is paused by an operator`,
        hint: 'resume it in the admin (Editions → Resume), then run digest send again',
      };
  }
}
