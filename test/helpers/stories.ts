import { readFileSync } from 'node:fs';
import type { Story, StoryKind } from '../../src/db/index.js';

/** Story rows as the ranking returns them, for render tests (no database needed). */
let nextId = 1;
export function fixtureStory(overrides: Partial<Story> & { kind?: StoryKind } = {}): Story {
  const id = overrides.id ?? nextId++;
  return {
    id,
    url: `https://news.example.com/story-${id}`,
    kind: 'story',
    title: `Story number ${id}`,
    summary: `The summary of story ${id}.`,
    byline: 'Reuters',
    section: 'World',
    image_url: null,
    published_at: new Date('2026-11-26T04:00:00Z'),
    updated_at: null,
    votes: 10,
    comments: 2,
    source: 'api',
    created_at: new Date('2026-11-26T04:00:00Z'),
    modified_at: new Date('2026-11-26T04:00:00Z'),
    ...overrides,
  };
}

/** The reference article (/work/shared/reference): typographic quotes, dashes, a real news page. */
export function referenceArticle(): Story {
  const path = process.env.REFERENCE_ARTICLE ?? '/work/shared/reference/article-page.txt';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text =
      'Turkey and Russia discuss reducing tension in Idlib\n\nSince April 28, 18 health facilities have been hit\n\nBy Reuters\n\nISTANBUL — “We conducted this lighting offensive to show the Russians we are not easy prey,” said Abu Mujahid.';
  }
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  const title = paragraphs.find((p) => p.includes('Idlib')) ?? paragraphs[1]!;
  const body = paragraphs.filter((p) => p.length > 120).join(' ');
  return fixtureStory({
    url: 'https://www.jordantimes.com/news/region/turkey-and-russia-discuss-reducing-tension-idlib',
    title,
    summary: body,
    byline: 'Reuters',
    section: 'Middle East',
    votes: 42,
    comments: 7,
  });
}

/** A worst case for the size budget: long titles, long summaries, an image each. */
export function worstCaseStories(count: number, kind: StoryKind): Story[] {
  return Array.from({ length: count }, (_, i) =>
    fixtureStory({
      kind,
      url: `https://news.example.com/${kind}/2026/11/26/${'a-very-long-slug-'.repeat(6)}${i}?utm_source=digest&utm_medium=email`,
      title: `${'Long headline with “quotes” — and dashes – that goes on and on '.repeat(4)}${i}`.slice(0, 200),
      summary: 'A summary that is much longer than any teaser should be, with <b>markup</b> & “entities”. '.repeat(20),
      byline: 'A Very Long Byline Of Several Authors And Agencies',
      section: 'International Affairs',
      image_url: `https://img.example.com/${kind}/${i}/${'x'.repeat(80)}.jpg`,
      votes: 12345,
      comments: 678,
    }),
  );
}

/** A daily edition over an edition window, as the pick takes it (editions pickForEdition). */
export function asEdition(w: { date?: string; start: Date; end: Date }): {
  date: string;
  kind: 'daily';
  window_start: Date;
  window_end: Date;
} {
  return { date: w.date ?? w.end.toISOString().slice(0, 10), kind: 'daily', window_start: w.start, window_end: w.end };
}
