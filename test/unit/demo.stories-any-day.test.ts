import { describe, expect, it } from 'vitest';
import { DEMO_STORIES } from '../../src/demo/index.js';

// Month and season names, as whole words (not "fall": prices fall).
const DATED =
  /\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|spring|summer|autumn|winter|season|ramadan|christmas|easter|new year)\b/i;

/**
 * The demo loads its stories a few hours before the moment it runs, on any day of the year; a story
 * that names a month or a season contradicts the date of the digest it appears in half the year.
 */
describe('the demo stories', () => {
  it.each(DEMO_STORIES.map((s) => [s.slug, s] as const))('%s names no month or season', (_slug, story) => {
    for (const text of [story.title, story.summary]) expect(text).not.toMatch(DATED);
  });

  it('the check itself catches what it is for', () => {
    for (const text of ['this summer', 'the June heatwave', 'cut in August', 'comeback season', 'Since April 28'])
      expect(text).toMatch(DATED);
    expect('tickets go on sale Monday, within six weeks').not.toMatch(DATED);
  });
});
