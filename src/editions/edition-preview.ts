import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import {
  editionInputFor,
  personalise,
  preflightEdition,
  renderEdition,
  type PersonalisedParts,
  type PreflightReport,
  type Reader,
  type RenderedEdition,
} from '../render/index.js';
import { editionWindow } from './edition-window.js';
import { pickForEdition } from './pick-for-edition.js';

export interface Preview {
  readonly date: string;
  readonly rendered: RenderedEdition;
  /** The email as a sample reader would get it. */
  readonly sample: PersonalisedParts;
  readonly reader: Reader;
  readonly preflight: PreflightReport;
  readonly renderMs: number;
}

export function sampleReader(publicUrl: string): Reader {
  const token = 'preview-sample-token-0000000000000000';
  return { name: 'Sample Reader', unsubscribeUrl: `${publicUrl}/u/${token}`, preferencesUrl: `${publicUrl}/p/${token}` };
}

/** What the edition of `date` would be from the stories in the database now, without sending. */
export async function buildPreview(db: Db, config: Config, date: string): Promise<Preview> {
  const window = editionWindow(date, config.digest.cron, config.digest.timeZone);
  const pick = await pickForEdition(db, { date, kind: 'daily', window_start: window.start, window_end: window.end }, config.sections);
  const t = performance.now();
  const rendered = await renderEdition(
    editionInputFor(config, { date, slot: window.slot, kind: 'daily', stories: pick.stories, blogs: pick.blogs }),
  );
  const renderMs = performance.now() - t;
  const reader = sampleReader(config.publicUrl);
  const preflight = await preflightEdition(rendered, { publicUrl: config.publicUrl, from: config.mailFrom, sample: reader });
  return { date, rendered, sample: personalise(rendered, reader, config.locale), reader, preflight, renderMs };
}
