import type { Config } from '../config/index.js';
import type { DigestSection, EditionKind, Story } from '../db/index.js';
import type { EditionInput } from './edition.render.js';

/**
 * The one place an edition's render input is made from the settings (site name, logo, postal
 * address, PUBLIC_URL, SUBJECT_TEMPLATE, the locale), so the stored render, the per-section renders of a send, the
 * preview and the "view in browser" page cannot drift apart.
 */
export function editionInputFor(
  config: Config,
  parts: {
    readonly date: string;
    /** Which edition of the date, and for whom: the wording and the view-in-browser link follow it. */
    readonly slot?: string | undefined;
    readonly kind?: EditionKind | undefined;
    readonly stories: readonly Story[];
    readonly blogs: readonly Story[];
    readonly sections?: readonly DigestSection[];
    readonly mode?: 'email' | 'web';
    readonly linkFor?: ((story: Story) => string) | undefined;
    readonly readerMarker?: string | undefined;
  },
): EditionInput {
  return {
    site: config.site,
    publicUrl: config.publicUrl,
    locale: config.locale,
    subjectTemplate: config.email.subjectTemplate,
    ...parts,
  };
}
