import type { Locale } from '../config/index.js';
import type { EditionKind } from '../db/index.js';

/**
 * The words every email's partials use (templates/partials/footer.*), from the locale. Templates
 * read them as `{{t.unsubscribe}}`, so an operator restyling a template keeps the text in the
 * locale file; each render adds its own sentences to the same `t`.
 */
export function footerWords(locale: Locale) {
  return {
    unsubscribe: locale.t('footer.unsubscribe'),
    preferences: locale.t('footer.preferences'),
    viewInBrowser: locale.t('footer.view_in_browser'),
    textUnsubscribe: locale.t('footer.text.unsubscribe'),
    textPreferences: locale.t('footer.text.preferences'),
    textViewInBrowser: locale.t('footer.text.view_in_browser'),
  };
}

/**
 * The digest's sentences that say which edition it is. The weekly says the week; a reader's own hour
 * reads like the daily but names no time of day (it may arrive at 22:00); the daily keeps its words.
 */
export function editionWords(locale: Locale, kind: EditionKind | undefined, v: { count: number; site: string; date: string; url: string }) {
  const weekly = kind === 'weekly';
  return {
    intro: locale.t(weekly ? 'digest.intro_weekly' : 'digest.intro', { count: v.count, site: v.site }),
    nothingNew: locale.t(weekly ? 'digest.nothing_new_weekly' : 'digest.nothing_new'),
    preheaderEmpty: locale.t(weekly ? 'digest.preheader_empty_weekly' : 'digest.preheader_empty', { site: v.site, date: v.date }),
    webReason: locale.t(weekly ? 'digest.web_reason_weekly' : kind === 'hourly' ? 'digest.web_reason_hourly' : 'digest.web_reason', {
      url: v.url,
    }),
  };
}

/**
 * The subject's template. SUBJECT_TEMPLATE, when the operator set one, wins for every kind. Config
 * always holds a template (the locale's digest.subject_template when unset), so a value equal to
 * that default counts as unset, and the weekly edition then takes digest.subject_template_weekly.
 */
export function subjectTemplateFor(locale: Locale, kind: EditionKind | undefined, configured: string | undefined): string {
  const daily = locale.t('digest.subject_template');
  const chosen = configured ?? daily;
  return kind === 'weekly' && chosen === daily ? locale.t('digest.subject_template_weekly') : chosen;
}
