import { defaultLocale, type Locale } from '../config/index.js';
import type { DigestSection, Story } from '../db/index.js';
import { safeHttpUrl, truncate, wrap } from './escape.js';

/**
 * The data both parts of the digest are filled from (templates/digest.mjml and digest.txt), built
 * once per edition. Values are plain strings: the template escapes them for its own part.
 */
export const TITLE_MAX = 200;
export const TEASER_MAX = 280;

export interface StoryView {
  readonly n: number;
  readonly title: string;
  /** Absent when the story's URL is not http(s): the title is then shown without a link. */
  readonly url: string | undefined;
  readonly teaser: string;
  /** "Reuters · World · 25 votes · 3 comments", only the parts that are known. */
  readonly meta: string;
  readonly imageUrl: string | undefined;
  /** The plain-text part's pre-wrapped title and teaser (indented under the number). */
  readonly textTitle: string;
  readonly textTeaser: string;
  /** Spaces that line the plain-text meta and URL lines up under the title. */
  readonly ind: string;
}

export interface SectionView {
  readonly key: DigestSection;
  readonly heading: string;
  readonly textHeading: string;
  readonly stories: readonly StoryView[];
}

export function storyView(story: Story, n: number, linkFor?: (story: Story) => string, locale: Locale = defaultLocale()): StoryView {
  const title = truncate(story.title, TITLE_MAX) || story.url;
  const teaser = truncate(story.summary ?? '', TEASER_MAX);
  const meta = [
    story.byline?.trim(),
    story.section?.trim(),
    story.votes > 0 ? locale.t('digest.votes', { count: story.votes }) : undefined,
    story.comments > 0 ? locale.t('digest.comments', { count: story.comments }) : undefined,
  ]
    .filter((s): s is string => Boolean(s))
    .map((s) => truncate(s, 60))
    .join(' · ');
  const indent = ' '.repeat(`${n}. `.length);
  return {
    n,
    title,
    // A tracked link only stands in for a story URL that is itself safe to link to.
    url: safeHttpUrl(story.url) && linkFor ? safeHttpUrl(linkFor(story)) : safeHttpUrl(story.url),
    teaser,
    meta,
    imageUrl: safeHttpUrl(story.image_url),
    // Every line within 76 columns, the continuation lines indented under the title's first word.
    textTitle: `${n}. ` + wrap(title, 76, indent).slice(indent.length),
    textTeaser: teaser ? wrap(teaser, 76, indent) : '',
    ind: indent,
  };
}

export function sectionView(
  key: DigestSection,
  stories: readonly Story[],
  linkFor?: (story: Story) => string,
  locale: Locale = defaultLocale(),
): SectionView {
  const heading = locale.t(`sections.${key}`);
  return {
    key,
    heading,
    textHeading: `${heading.toLocaleUpperCase(locale.tag)}\n${'='.repeat(heading.length)}`,
    stories: stories.map((s, i) => storyView(s, i + 1, linkFor, locale)),
  };
}

/** "Thursday, 26 November 2026" (en), "jeudi 26 novembre 2026" (fr) for a YYYY-MM-DD date (the edition's own calendar day). */
export function longDate(date: string, locale: Locale = defaultLocale()): string {
  return locale.longDate(date);
}

/** "Thu 26 Nov" for subject lines. */
export function shortDate(date: string, locale: Locale = defaultLocale()): string {
  return locale.shortDate(date);
}
