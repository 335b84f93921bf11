/**
 * The edition: which editions exist for a date (specsFor), the story window and pick, the lifecycle
 * (one state machine, edition-state.ts), preparing and running one, its report and the archive's
 * reads. The scheduler, the CLI and the admin all come here; nothing else writes editions.status.
 */
export { editionWindow, editionWindows, EditionWindowError, type EditionWindow } from './edition-window.js';
export {
  addDays,
  currentDailySpec,
  currentEditionDate,
  cutoffOf,
  dailySpecs,
  hourlySpec,
  NO_AUDIENCE,
  readerSendAt,
  specsFor,
  weekdayOf,
  weeklySpec,
  type Audience,
  type EditionSpec,
} from './edition-specs.js';
export { editionsOfDate, editionsOfDateWithRows, readAudience } from './editions-of-date.js';
export { readerNextEdition, type ReaderSchedule } from './reader-next-edition.js';
export { editionsDated, findEdition, firstSendAt } from './edition.repository.js';
export { dueEditions } from './due-editions.js';
export { pickForEdition } from './pick-for-edition.js';
export { expireEdition, finishEditionIfDone, pauseEdition, resumeEdition, stillOpen } from './edition-state.js';
export { prepareEdition, type PrepareOptions, type PrepareOutcome, type PreparedEdition } from './prepare-edition.js';
export { runEdition, type SendDeps, type SendOptions } from './run-edition.js';
export { settleEditions } from './settle-editions.js';
export { dryRunEdition, forecastSend, type DryRun, type ExistingEdition, type SendForecast } from './dry-run.js';
export { editionFailures, editionStories, type FailureGroup } from './edition-report.js';
export {
  editionIn,
  findPublishedEdition,
  listPublishedEditions,
  publishedEditionsOn,
  recentPublishedEditions,
  sentAt,
  type PublishedEdition,
} from './published-editions.js';
export { buildPreview, sampleReader, type Preview } from './edition-preview.js';
export { standingOf, type EditionAction, type EditionStanding } from './edition-actions.js';
