import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currentDailySpec, cutoffOf, NO_AUDIENCE, specsFor, standingOf, type Audience } from '../../src/editions/index.js';
import { selectTop, type Candidate } from '../../src/ranking/index.js';
import { sendOutcome } from '../../src/cli/send-outcome.js';
import { EXIT } from '../../src/cli/cli-error.js';
import { testConfig } from '../helpers/config.js';

const config = testConfig(); // DIGEST_CRON 0 6 * * * in UTC, cutoff 6 h
const at = (iso: string) => new Date(iso);

describe('which editions exist for a date (specsFor)', () => {
  it("has the DIGEST_CRON slots, the weekly edition only on a weekly reader's weekday, and one hourly edition per instant", () => {
    const twice = testConfig({ DIGEST_CRON: '0 6,18 * * *' });
    expect(specsFor(twice, '2026-11-30', NO_AUDIENCE).map((s) => `${s.slot} ${s.kind}`)).toEqual(['06:00 daily', '18:00 daily']);
    // 2026-11-30 is a Monday (weekday 1).
    const audience: Audience = {
      weeklyDays: new Set([1]),
      hours: [
        { timeZone: 'Europe/Oslo', hour: 7 },
        { timeZone: 'Europe/Paris', hour: 7 },
        { timeZone: 'UTC', hour: 20 },
      ],
    };
    const specs = specsFor(config, '2026-11-30', audience);
    expect(specs.map((s) => `${s.slot} ${s.kind}`)).toEqual(['06:00 daily', '06:00Z hourly', 'weekly 06:00 weekly', '20:00Z hourly']);
    expect(specsFor(config, '2026-12-01', audience).some((s) => s.kind === 'weekly')).toBe(false);
  });

  it("dates an hourly edition in its readers' zone: a Tokyo reader's Monday 07:00 is Sunday 22:00 UTC, and it is Monday's edition", () => {
    const specs = specsFor(config, '2026-11-30', { weeklyDays: new Set(), hours: [{ timeZone: 'Asia/Tokyo', hour: 7 }] });
    const tokyo = specs.find((s) => s.kind === 'hourly')!;
    expect(tokyo).toMatchObject({ date: '2026-11-30', slot: '22:00Z-1d' });
    expect(tokyo.sendAt.toISOString()).toBe('2026-11-29T22:00:00.000Z');
    expect(tokyo.windowEnd).toEqual(tokyo.sendAt);
  });

  it('keeps readers whose hours start at one instant on different calendar days in different editions', () => {
    // 07:00 in Kiribati (UTC+14) on Tuesday and 07:00 in Honolulu (UTC-10) on Monday are both 17:00 UTC
    // Monday; on one local date, the two are a day apart.
    const audience: Audience = {
      weeklyDays: new Set(),
      hours: [
        { timeZone: 'Pacific/Kiritimati', hour: 7 },
        { timeZone: 'Pacific/Honolulu', hour: 7 },
      ],
    };
    const monday = specsFor(config, '2026-11-30', audience).filter((s) => s.kind === 'hourly');
    const tuesday = specsFor(config, '2026-12-01', audience).filter((s) => s.kind === 'hourly');
    expect(monday.map((s) => `${s.date} ${s.slot} ${s.sendAt.toISOString()}`)).toEqual([
      '2026-11-30 17:00Z-1d 2026-11-29T17:00:00.000Z',
      '2026-11-30 17:00Z 2026-11-30T17:00:00.000Z',
    ]);
    expect(tuesday.map((s) => `${s.date} ${s.slot} ${s.sendAt.toISOString()}`)).toContain('2026-12-01 17:00Z-1d 2026-11-30T17:00:00.000Z');
  });
});

describe('the edition an operator can send now (currentDailySpec), at any hour', () => {
  it.each([
    ['2026-11-29T00:00:00Z', '2026-11-29'], // before the slot: today's, sent early
    ['2026-11-29T06:00:00Z', '2026-11-29'], // at the slot
    ['2026-11-29T11:59:00Z', '2026-11-29'], // before its cutoff
    ['2026-11-29T12:01:00Z', '2026-11-30'], // past its cutoff: tomorrow's, whose window holds today's news
    ['2026-11-29T22:34:00Z', '2026-11-30'],
    ['2026-11-29T23:00:00Z', '2026-11-30'],
    ['2026-12-31T23:59:00Z', '2027-01-01'],
  ])('at %s it is the edition of %s, whose window holds now or ends before it', (now, date) => {
    const spec = currentDailySpec(config, at(now))!;
    expect(spec.date).toBe(date);
    expect(cutoffOf(config, spec.sendAt).getTime()).toBeGreaterThan(at(now).getTime());
    expect(spec.windowStart.getTime()).toBeLessThanOrEqual(at(now).getTime());
  });

  it('holds in a zone with daylight saving, on the days the clocks change', () => {
    const oslo = testConfig({ DIGEST_TZ: 'Europe/Oslo' });
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2026-03-27T00:00:00Z'), max: Date.parse('2026-11-02T00:00:00Z') }), (t) => {
        const now = new Date(t);
        const spec = currentDailySpec(oslo, now)!;
        expect(cutoffOf(oslo, spec.sendAt).getTime()).toBeGreaterThan(t);
        expect(spec.windowStart.getTime()).toBeLessThanOrEqual(t);
      }),
      { numRuns: 200 },
    );
    // Every 5 minutes across both changes (23:00 on the Saturday before spring-forward once skipped a day).
    for (const [from, to] of [
      ['2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
      ['2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z'],
    ] as const) {
      for (let t = Date.parse(from); t < Date.parse(to); t += 300_000) {
        const spec = currentDailySpec(oslo, new Date(t))!;
        expect(spec.windowStart.getTime(), new Date(t).toISOString()).toBeLessThanOrEqual(t);
        expect(cutoffOf(oslo, spec.sendAt).getTime()).toBeGreaterThan(t);
      }
    }
  });
});

describe('where an edition stands, and the action that helps (standingOf)', () => {
  const spec = specsFor(config, '2026-11-29', NO_AUDIENCE)[0]!; // 06:00 UTC, cutoff 12:00
  const row = (status: string, extra: Record<string, unknown> = {}) =>
    ({
      status,
      error: null,
      send_at: spec.sendAt,
      cutoff_at: cutoffOf(config, spec.sendAt),
      updated_at: at('2026-11-29T06:01:00Z'),
      window_end: spec.windowEnd,
      ...extra,
    }) as never;

  it('offers Send now before the cutoff and Send late after it, saying how old the news is', () => {
    expect(standingOf(config, spec, undefined, at('2026-11-29T02:00:00Z'))).toMatchObject({ state: 'not created yet', action: 'send' });
    expect(standingOf(config, spec, undefined, at('2026-11-29T02:00:00Z')).reason).toMatch(/due 2026-11-29 06:00 UTC/);
    const missed = standingOf(config, spec, undefined, at('2026-11-29T22:34:00Z'));
    expect(missed).toMatchObject({ state: 'missed', action: 'late', newsAgeHours: 17 });
    expect(missed.reason).toMatch(/17 h old/);
    expect(standingOf(config, spec, row('expired', { error: 'not started before its cutoff' }), at('2026-11-29T23:00:00Z'))).toMatchObject({
      state: 'expired',
      action: 'late',
    });
  });

  it('retries a failed edition, shows why, and keeps an early empty one open', () => {
    const failed = standingOf(
      config,
      spec,
      row('failed', { error: 'preflight html_too_large: HTML is 130 KB\nmore' }),
      at('2026-11-29T07:00:00Z'),
    );
    expect(failed).toMatchObject({ state: 'failed', action: 'retry' });
    expect(failed.reason).toMatch(/^preflight html_too_large: HTML is 130 KB Fix the cause/);
    expect(standingOf(config, spec, row('empty', { updated_at: at('2026-11-29T03:00:00Z') }), at('2026-11-29T04:00:00Z'))).toMatchObject({
      state: 'empty so far',
      action: 'send',
    });
    expect(standingOf(config, spec, row('empty'), at('2026-11-29T07:00:00Z'))).toMatchObject({ state: 'empty', action: 'none' });
    expect(standingOf(config, spec, row('paused'), at('2026-11-29T07:00:00Z'))).toMatchObject({ action: 'resume' });
    expect(standingOf(config, spec, row('sent'), at('2026-11-29T07:00:00Z'))).toMatchObject({ action: 'none' });
  });
});

describe("digest send's verdict per edition (exit codes)", () => {
  const edition = {
    date: '2026-11-29',
    slot: '06:00',
    error: 'why it is so',
    window_end: at('2026-11-29T06:00:00Z'),
    cutoff_at: at('2026-11-29T12:00:00Z'),
  };
  const counts = (sent: number, failed: number) => ({ sent, failed, total: sent + failed });
  const now = { now: at('2026-11-29T23:00:00Z') };

  it('is 0 for sent and already sent, and its own code for every reason nothing went out', () => {
    expect(sendOutcome(edition, 'sent', counts(5, 1), now).exitCode).toBe(EXIT.ok);
    expect(sendOutcome(edition, 'already_sent', counts(5, 0), now).exitCode).toBe(EXIT.ok);
    expect(sendOutcome(edition, 'sent', counts(0, 4), now)).toMatchObject({ exitCode: EXIT.refused });
    const expired = sendOutcome(edition, 'expired', counts(0, 0), now);
    expect(expired).toMatchObject({ exitCode: EXIT.expired, hint: expect.stringContaining('--late') });
    expect(expired.problem).toMatch(/17 h old/);
    expect(sendOutcome(edition, 'failed', counts(0, 0), now)).toMatchObject({
      exitCode: EXIT.failed,
      hint: expect.stringContaining('--retry'),
    });
    expect(sendOutcome(edition, 'empty', counts(0, 0), now).exitCode).toBe(EXIT.empty);
    expect(sendOutcome(edition, 'paused', counts(2, 0), now).exitCode).toBe(EXIT.paused);
    // --late on an edition still sending: refused as a wrong command line, with the way to follow it instead.
    const onTime = sendOutcome(edition, 'not_late', counts(2, 0), { now: at('2026-11-29T08:00:00Z') });
    expect(onTime).toMatchObject({ exitCode: EXIT.usage, hint: expect.stringContaining('without --late') });
    expect(sendOutcome(edition, 'not_late', counts(2, 0), now)).toMatchObject({
      exitCode: EXIT.usage,
      hint: expect.stringContaining('expired'),
    });
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
  });
});

describe('the weekly edition ranks on a scale of days', () => {
  it('keeps a 900-vote story from five days ago above twelve 20-vote stories from today', () => {
    const end = at('2026-11-29T06:00:00Z');
    const story = (id: number, votes: number, hoursAgo: number): Candidate => ({
      id,
      url: `https://n.example/${id}`,
      kind: 'story',
      votes,
      comments: 0,
      published_at: new Date(end.getTime() - hoursAgo * 3_600_000),
    });
    const candidates = [story(1, 900, 5 * 24), ...Array.from({ length: 12 }, (_, i) => story(i + 2, 20, 1 + i))];
    const weekly = selectTop(candidates, { at: end, topStories: 10, topBlogs: 0, ageUnitHours: 24 });
    expect(weekly.stories[0]!.id).toBe(1);
    // On the daily scale of hours, the same story falls below the day's fresh ones.
    const daily = selectTop(candidates, { at: end, topStories: 10, topBlogs: 0 });
    expect(daily.stories[0]!.id).not.toBe(1);
    expect(daily.stories.findIndex((s) => s.id === 1)).toBeGreaterThan(3);
  });
});
