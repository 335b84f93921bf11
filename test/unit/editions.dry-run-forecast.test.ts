import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/cli-error.js';
import { sendOutcome } from '../../src/cli/send-outcome.js';
import { dailySpecs, forecastSend, type ExistingEdition } from '../../src/editions/index.js';
import { testConfig } from '../helpers/config.js';

/**
 * `digest send --dry-run` says what the send would do with an edition, by prepareEdition's rules read
 * without acting (forecastSend), and ends with the send's exit code. Every state, at the hours that
 * matter for the 2026-12-07 06:00 edition (cutoff 12:00).
 */
const config = testConfig(); // DIGEST_CRON 0 6 * * * in UTC, cutoff 6 h
const spec = dailySpecs(config, '2026-12-07')[0]!;
const at = (iso: string) => new Date(iso);
const EARLY = at('2026-12-07T05:59:00Z');
const MORNING = at('2026-12-07T08:00:00Z');
const EVENING = at('2026-12-07T20:06:00Z');
const full = { stories: 3, blogs: 1 };
const none = { stories: 0, blogs: 0 };

function row(status: ExistingEdition['status'], extra: Partial<ExistingEdition> = {}): ExistingEdition {
  return {
    id: 1,
    status,
    error: null,
    send_at: spec.sendAt,
    cutoff_at: at('2026-12-07T12:00:00Z'),
    updated_at: at('2026-12-07T06:00:05Z'),
    window_end: spec.windowEnd,
    sent_late: false,
    rendered: false,
    ...extra,
  };
}

/** The exit code the send ends with for the forecast outcome (0 when it sends or resumes). */
function exitOf(outcome: ReturnType<typeof forecastSend>['outcome'], now: Date): number {
  if (outcome === 'send' || outcome === 'send_late' || outcome === 'resume') return EXIT.ok;
  const edition = { date: spec.date, slot: spec.slot, error: null, window_end: spec.windowEnd, cutoff_at: at('2026-12-07T12:00:00Z') };
  return sendOutcome(edition, outcome, { sent: 5, failed: 0, total: 5 }, { now }).exitCode;
}

describe('what a send would do (forecastSend)', () => {
  it.each([
    [
      'not created, a minute early',
      undefined,
      full,
      EARLY,
      {},
      'send',
      /^a send sends it now, early \(due 2026-12-07 06:00 UTC\)$/,
      EXIT.ok,
    ],
    ['not created, in the morning', undefined, full, MORNING, {}, 'send', /^a send sends it now$/, EXIT.ok],
    [
      'not created, in the evening',
      undefined,
      full,
      EVENING,
      {},
      'expired',
      /^expired: past its cutoff 2026-12-07 12:00 UTC \(6 h after its send time\); a send sends nothing \(--late sends it anyway\)$/,
      EXIT.expired,
    ],
    [
      'not created, in the evening, --late',
      undefined,
      full,
      EVENING,
      { late: true },
      'send_late',
      /^past its cutoff .*: --late sends it anyway$/,
      EXIT.ok,
    ],
    [
      'not created, in the evening, --late, no stories',
      undefined,
      none,
      EVENING,
      { late: true },
      'empty',
      /^empty: no stories published/,
      EXIT.empty,
    ],
    [
      'not created, no stories',
      undefined,
      none,
      MORNING,
      {},
      'empty',
      /^empty: no stories published in its window \(2026-12-06 06:00 UTC – 2026-12-07 06:00 UTC\)/,
      EXIT.empty,
    ],
    ['sent', row('sent'), full, EVENING, {}, 'already_sent', /^already sent; a send sends nothing new$/, EXIT.ok],
    ['sending', row('sending'), full, MORNING, {}, 'resume', /^already sending/, EXIT.ok],
    ['paused', row('paused'), full, MORNING, {}, 'paused', /^paused by an operator/, EXIT.paused],
    [
      'failed',
      row('failed', { error: 'preflight: too big\nmore' }),
      full,
      MORNING,
      {},
      'failed',
      /^failed: preflight: too big \(--retry/,
      EXIT.failed,
    ],
    ['failed, --retry', row('failed'), full, MORNING, { retry: true }, 'send', /^a send sends it now$/, EXIT.ok],
    [
      'failed, --retry, past its cutoff',
      row('failed'),
      full,
      EVENING,
      { retry: true },
      'expired',
      /^expired: past its cutoff/,
      EXIT.expired,
    ],
    [
      'expired',
      row('expired', { error: 'not started before its cutoff' }),
      full,
      EVENING,
      {},
      'expired',
      /^expired: not started/,
      EXIT.expired,
    ],
    ['expired, --late, never rendered', row('expired'), full, EVENING, { late: true }, 'send_late', /--late sends it anyway/, EXIT.ok],
    ['expired part-way, --late', row('expired', { rendered: true }), full, EVENING, { late: true }, 'resume', /resumes it/, EXIT.ok],
    [
      'sending, --late',
      row('sending', { rendered: true }),
      full,
      MORNING,
      { late: true },
      'not_late',
      /only for an edition past its cutoff/,
      EXIT.usage,
    ],
    [
      'sending late already, --late again',
      row('sending', { rendered: true, sent_late: true }),
      full,
      EVENING,
      { late: true },
      'resume',
      /resumes it/,
      EXIT.ok,
    ],
    ['empty at its send time', row('empty', { error: 'no stories' }), full, MORNING, {}, 'empty', /^empty: no stories$/, EXIT.empty],
    [
      'empty before its send time: picked again',
      row('empty', { updated_at: at('2026-12-07T05:00:00Z') }),
      full,
      MORNING,
      {},
      'send',
      /^a send/,
      EXIT.ok,
    ],
    ['planned, past its cutoff', row('planned'), full, EVENING, {}, 'expired', /^expired/, EXIT.expired],
  ] as const)('%s', (_name, existing, counts, now, options, outcome, why, code) => {
    const forecast = forecastSend(config, spec, { row: existing, ...counts }, { now, ...options });
    expect(forecast.outcome).toBe(outcome);
    expect(forecast.why).toMatch(why);
    expect(exitOf(forecast.outcome, now)).toBe(code);
  });

  it('with EMPTY_DAY=note, an empty window still sends (the "nothing new" note)', () => {
    const note = testConfig({ EMPTY_DAY: 'note' });
    const forecast = forecastSend(note, spec, { row: undefined, ...none }, { now: MORNING });
    expect(forecast).toEqual({ outcome: 'send', why: 'a send sends it now (no stories: the "nothing new" note, EMPTY_DAY=note)' });
  });
});
