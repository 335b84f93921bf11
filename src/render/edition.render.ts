import { defaultLocale, type Locale } from '../config/index.js';
import type { DigestSection, EditionKind, Story } from '../db/index.js';
import { escapeText, headerText, safeHttpUrl, truncate } from './escape.js';
import { longDate, sectionView, shortDate } from './edition.view.js';
import { editionPath } from './edition-url.js';
import { textLinks } from './links.js';
import { editionWords, footerWords, subjectTemplateFor } from './mail-words.js';
import { mjmlToHtml } from './mjml.js';
import { marker } from './placeholders.js';
import { PREHEADER_FILLER } from './preheader.js';
import { compileTemplate } from './template.js';
import { textPart } from './text-wrap.js';
import { loadTemplates } from './template-files.js';

export const ALL_SECTIONS: readonly DigestSection[] = ['stories', 'blogs'];

export interface EditionInput {
  /** YYYY-MM-DD */
  readonly date: string;
  /** The edition's slot within its date ('06:00', 'weekly 06:00', '22:00Z'); default the date's main edition. */
  readonly slot?: string | undefined;
  /** daily (default), weekly or hourly (a reader's own hour): what the email calls itself. */
  readonly kind?: EditionKind | undefined;
  readonly site: { readonly name: string; readonly postalAddress: string; readonly logoUrl?: string | undefined };
  readonly publicUrl: string;
  readonly stories: readonly Story[];
  readonly blogs: readonly Story[];
  /** The sections this rendering contains (a reader's choice); default both. Order is fixed. */
  readonly sections?: readonly DigestSection[];
  /** The reader-facing words and date format (config.locale); default English. */
  readonly locale?: Locale | undefined;
  /** SUBJECT_TEMPLATE: {{headline}}, {{date}}, {{isoDate}}, {{site}}, {{count}} (subjectTemplateFor: the weekly's own default). */
  readonly subjectTemplate?: string;
  /**
   * 'email' (default): personal %%markers%% for personalise(). 'web': the public "view in browser"
   * page, with no personal parts and no unsubscribe links.
   */
  readonly mode?: 'email' | 'web';
  /**
   * The href of a story's links, when not the story's own URL (click tracking: a signed redirect on
   * PUBLIC_URL). Must return an absolute http(s) URL.
   */
  readonly linkFor?: ((story: Story) => string) | undefined;
  /**
   * A literal (letters and digits only) that linkFor's URLs hold where each reader's click token
   * goes; after MJML it becomes the %%click_reader%% marker. The caller makes it unguessable, so no
   * story text can forge it.
   */
  readonly readerMarker?: string | undefined;
}

/** One edition rendered for one section choice: MJML has run; personal parts are still markers. */
export interface RenderedEdition {
  readonly date: string;
  readonly sections: readonly DigestSection[];
  readonly subject: string;
  readonly preheader: string;
  /** HTML with %%greeting%%, %%unsubscribe_url%%, %%preferences_url%% markers (email mode). */
  readonly html: string;
  /** The plain-text part, same markers. */
  readonly text: string;
  /** Ids of the stories shown, in order. */
  readonly storyIds: readonly number[];
  /** This edition's page on PUBLIC_URL (editionPath: the date's main one when no slot is given). */
  readonly viewUrl: string;
  /** Hosts links and images may point at: PUBLIC_URL's, the stories', the logo's (preflight). */
  readonly linkHosts: readonly string[];
  /**
   * Addresses the stories' text mentions ("code at https://github.com/…"), as the plain-text part
   * shows them: text, not links we made, so preflight does not hold them to its link rules.
   */
  readonly quotedLinks?: readonly string[];
}

/** A stable key for a section choice: renders are shared by every reader with the same key. */
export function sectionKey(sections: readonly DigestSection[] | null | undefined): string {
  const chosen = ALL_SECTIONS.filter((s) => !sections || sections.length === 0 || sections.includes(s));
  return chosen.join('+');
}

const subjectCache = new Map<string, ReturnType<typeof compileTemplate>>();

export function renderSubject(
  template: string,
  values: { headline: string; date: string; isoDate: string; site: string; count: number },
): string {
  let compiled = subjectCache.get(template);
  if (!compiled) {
    compiled = compileTemplate(template, { escape: (s) => s, name: 'SUBJECT_TEMPLATE' });
    subjectCache.set(template, compiled);
  }
  return truncate(headerText(compiled(values)), 150);
}

/**
 * Renders an edition for one section choice: the templates are filled from escaped data and MJML
 * runs once. Readers who chose the same sections share the result; personalise() makes each copy.
 */
export async function renderEdition(input: EditionInput): Promise<RenderedEdition> {
  const publicUrl = input.publicUrl.replace(/\/+$/, '');
  const locale = input.locale ?? defaultLocale();
  const chosen = sectionKey(input.sections).split('+').filter(Boolean) as DigestSection[];
  const sections = chosen
    .map((key) => sectionView(key, key === 'stories' ? input.stories : input.blogs, input.linkFor, locale))
    .filter((s) => s.stories.length > 0);
  const shown = sections.flatMap((s) => (s.key === 'stories' ? input.stories : input.blogs));
  const titles = sections.flatMap((s) => s.stories.map((v) => v.title));
  const viewUrl = publicUrl + editionPath(input.date, input.slot);
  const logoUrl = safeHttpUrl(input.site.logoUrl);
  const web = input.mode === 'web';
  const words = editionWords(locale, input.kind, {
    count: shown.length,
    site: input.site.name,
    date: longDate(input.date, locale),
    url: `${publicUrl}/`,
  });

  const subject = renderSubject(subjectTemplateFor(locale, input.kind, input.subjectTemplate), {
    headline: titles[0] ? truncate(titles[0], 90) : `${input.site.name}`,
    date: shortDate(input.date, locale),
    isoDate: input.date,
    site: input.site.name,
    count: shown.length,
  });
  const preheader = truncate(titles.slice(0, 3).join(' · ') || words.preheaderEmpty, 140);

  const view = {
    lang: locale.lang,
    title: subject,
    preheader,
    preheaderFiller: PREHEADER_FILLER,
    siteName: input.site.name,
    logoUrl,
    longDate: longDate(input.date, locale),
    sections,
    single: shown.length === 1,
    web,
    unsubscribable: !web,
    viewUrl: web ? undefined : viewUrl,
    reason: web ? words.webReason : locale.t('digest.reason', { site: input.site.name, url: publicUrl }),
    postalAddress: input.site.postalAddress,
    // Sentences for the templates, interpolated here; the templates escape them like any value.
    t: {
      ...footerWords(locale),
      greeting: locale.t('mail.greeting'),
      // An empty edition says only that it is empty (t.nothingNew), not "here are today's picks" first.
      intro: shown.length > 0 ? words.intro : '',
      readInBrowser: locale.t('digest.read_in_browser', { url: viewUrl }),
      nothingNew: words.nothingNew,
    },
  };
  const templates = loadTemplates('digest');
  let html = await mjmlToHtml(templates.mjml(view), 'digest.mjml');
  let text = textPart(templates.text(view));
  if (input.readerMarker && /^[A-Za-z0-9]{16,}$/.test(input.readerMarker) && !web) {
    html = html.split(input.readerMarker).join(marker('click_reader'));
    text = text.split(input.readerMarker).join(marker('click_reader'));
  }

  const hosts = new Set<string>([new URL(publicUrl).host]);
  for (const s of shown) {
    for (const u of [safeHttpUrl(s.url), safeHttpUrl(s.image_url)]) if (u) hosts.add(new URL(u).host);
  }
  if (logoUrl) hosts.add(new URL(logoUrl).host);
  // Found as preflight finds them in the text part (wrapping moves only whitespace).
  const quoted = sections.flatMap((s) => s.stories.flatMap((v) => [v.title, v.teaser, v.meta])).flatMap((t) => textLinks(escapeText(t)));

  return {
    date: input.date,
    sections: chosen,
    subject,
    preheader,
    html,
    text,
    storyIds: shown.map((s) => s.id),
    viewUrl,
    linkHosts: [...hosts],
    quotedLinks: [...new Set(quoted)],
  };
}
