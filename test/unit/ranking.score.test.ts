import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { score, selectTop, type Candidate } from '../../src/ranking/index.js';

const AT = new Date('2026-11-26T06:00:00Z');
const hoursAgo = (h: number) => new Date(AT.getTime() - h * 3_600_000);

const candidate = fc.record({
  id: fc.integer({ min: 1, max: 1_000_000 }),
  url: fc.webUrl(),
  kind: fc.constantFrom('story' as const, 'blog' as const),
  votes: fc.integer({ min: 0, max: 100_000 }),
  comments: fc.integer({ min: 0, max: 10_000 }),
  published_at: fc.integer({ min: 0, max: 24 * 60 }).map((m) => new Date(AT.getTime() - m * 60_000)),
});
const uniqueCandidates = fc.uniqueArray(candidate, { selector: (c) => c.url, maxLength: 60 });

describe('ranking', () => {
  it('scores more votes higher, more comments higher, and older lower', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.nat(1000),
        fc.double({ min: 0, max: 24, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (votes, comments, age, more) => {
          const s = { votes, comments, published_at: hoursAgo(age) };
          expect(score({ ...s, votes: votes + more }, AT)).toBeGreaterThan(score(s, AT));
          expect(score({ ...s, comments: comments + more }, AT)).toBeGreaterThan(score(s, AT));
          expect(score({ ...s, published_at: hoursAgo(age + more / 10) }, AT)).toBeLessThan(score(s, AT));
        },
      ),
    );
  });

  it('counts a story stamped in the future as brand new, never as a bonus', () => {
    const future = { votes: 5, comments: 1, published_at: new Date(AT.getTime() + 3_600_000) };
    expect(score(future, AT)).toBe(score({ ...future, published_at: AT }, AT));
  });

  it('ranks a fresh quiet story below an engaged one from this morning but above an old quiet one', () => {
    const engaged = score({ votes: 40, comments: 10, published_at: hoursAgo(3) }, AT);
    const fresh = score({ votes: 0, comments: 0, published_at: hoursAgo(0.5) }, AT);
    const oldQuiet = score({ votes: 0, comments: 0, published_at: hoursAgo(20) }, AT);
    expect(engaged).toBeGreaterThan(fresh);
    expect(fresh).toBeGreaterThan(oldQuiet);
  });

  it('picks the same edition whatever order the candidates come in', () => {
    fc.assert(
      fc.property(uniqueCandidates, fc.nat(), (list, seed) => {
        const shuffled = [...list].sort((a, b) => ((a.id * 31 + seed) % 97) - ((b.id * 31 + seed) % 97));
        const a = selectTop(list, { at: AT, topStories: 10, topBlogs: 5 });
        const b = selectTop(shuffled, { at: AT, topStories: 10, topBlogs: 5 });
        expect(b.stories.map((s) => s.url)).toEqual(a.stories.map((s) => s.url));
        expect(b.blogs.map((s) => s.url)).toEqual(a.blogs.map((s) => s.url));
      }),
    );
  });

  it('keeps kinds apart, respects the section sizes, orders by score and numbers ranks from 1', () => {
    fc.assert(
      fc.property(uniqueCandidates, fc.nat(12), fc.nat(6), (list: Candidate[], n, m) => {
        const pick = selectTop(list, { at: AT, topStories: n, topBlogs: m });
        expect(pick.stories.every((s) => s.kind === 'story')).toBe(true);
        expect(pick.blogs.every((s) => s.kind === 'blog')).toBe(true);
        expect(pick.stories.length).toBe(Math.min(n, list.filter((c) => c.kind === 'story').length));
        expect(pick.blogs.length).toBe(Math.min(m, list.filter((c) => c.kind === 'blog').length));
        for (const section of [pick.stories, pick.blogs]) {
          section.forEach((s, i) => {
            expect(s.rank).toBe(i + 1);
            if (i > 0) expect(section[i - 1]!.score).toBeGreaterThanOrEqual(s.score);
          });
          // Nothing left out scores higher than the last one taken.
          const last = section[section.length - 1];
          const kind = section === pick.stories ? 'story' : 'blog';
          if (last) {
            const taken = new Set(section.map((s) => s.url));
            for (const c of list.filter((c) => c.kind === kind && !taken.has(c.url))) {
              expect(score(c, AT)).toBeLessThanOrEqual(last.score);
            }
          }
        }
      }),
    );
  });

  it('breaks a tie in score by votes, then recency, then url', () => {
    const same = { kind: 'story' as const, comments: 0 };
    const list: Candidate[] = [
      { ...same, id: 1, url: 'https://b.example/', votes: 2, published_at: hoursAgo(2) },
      { ...same, id: 2, url: 'https://a.example/', votes: 2, published_at: hoursAgo(2) },
    ];
    expect(selectTop(list, { at: AT, topStories: 2, topBlogs: 0 }).stories.map((s) => s.url)).toEqual([
      'https://a.example/',
      'https://b.example/',
    ]);
  });
});

describe('editor choices', () => {
  it('always shows a pinned story first (up to the section size) and never an excluded one', () => {
    fc.assert(
      fc.property(uniqueCandidates, fc.nat(8), fc.nat(), (list: Candidate[], size, seed) => {
        const ids = list.map((c) => c.id);
        const pinned = new Set(ids.filter((id) => (id + seed) % 5 === 0));
        const excluded = new Set(ids.filter((id) => (id + seed) % 7 === 0 && !pinned.has(id)));
        const pick = selectTop(list, { at: AT, topStories: size, topBlogs: size, pinned, excluded });
        for (const section of [pick.stories, pick.blogs]) {
          expect(section.some((s) => excluded.has(s.id))).toBe(false);
          // Pinned ones lead: no unpinned story stands before a pinned one.
          const firstUnpinned = section.findIndex((s) => !s.pinned);
          if (firstUnpinned >= 0) expect(section.slice(firstUnpinned).some((s) => s.pinned)).toBe(false);
        }
        for (const kind of ['story', 'blog'] as const) {
          const section = kind === 'story' ? pick.stories : pick.blogs;
          const pinnedOfKind = list.filter((c) => c.kind === kind && pinned.has(c.id)).length;
          expect(section.filter((s) => s.pinned).length).toBe(Math.min(size, pinnedOfKind));
        }
      }),
    );
  });
});
