import type { Locale } from '../config/index.js';

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
