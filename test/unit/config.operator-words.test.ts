import { describe, expect, it } from 'vitest';
import { countOf, formatInstant } from '../../src/config/index.js';

describe('the words of the admin and the CLI', () => {
  it.each([
    ['2026-12-07T06:00:00.000Z', '2026-12-07 06:00 UTC'],
    ['2026-12-07T17:05:59.999Z', '2026-12-07 17:05 UTC'],
    ['2026-12-31T23:59:00Z', '2026-12-31 23:59 UTC'],
  ])('writes the instant %s as %s', (iso, words) => {
    expect(formatInstant(new Date(iso))).toBe(words);
  });

  it.each([
    [0, 'no messages', 'No messages'],
    [1, '1 message', '1 message'],
    [2, '2 messages', '2 messages'],
    [1234, '1,234 messages', '1,234 messages'],
  ])('counts %i as "%s"', (count, mid, start) => {
    expect(countOf(count, 'message', 'messages')).toBe(mid);
    expect(countOf(count, 'message', 'messages', { sentenceStart: true })).toBe(start);
  });
});
