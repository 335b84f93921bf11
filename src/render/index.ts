/**
 * The email, rendered once and personalised per reader.
 *   renderEdition()   MJML → HTML once per edition and section choice (personal parts as markers)
 *   personalise()     one reader's html + text from a rendered edition: string joins, no MJML
 *   composeMessage()  one reader's raw MIME (multipart/alternative, List-Unsubscribe on one line)
 *   compileMessageTemplate()  the same MIME built once per edition, each reader's copy spliced
 *   preflight*()      the checks that stop a send (size, text part, links, unsubscribe, headers)
 */
export { renderConfirmation, type ConfirmationInput } from './confirmation.render.js';
export { renderNotice, type NoticeInput, type NoticeReason } from './notice.render.js';
export type { RenderedMail } from './marked-mail.js';
export {
  ALL_SECTIONS,
  renderEdition,
  renderSubject,
  sectionKey,
  type EditionInput,
  type RenderedEdition,
} from './edition.render.js';
export { editionInputFor } from './edition-input.js';
export { greetingFor, personalise, PersonaliseError, type PersonalisedParts, type Reader } from './personalise.js';
export { composeMessage, ComposeError, listUnsubscribeValue, type ComposeInput } from './compose-message.js';
export { compileMessageTemplate, type MessageTemplate, type TemplateInput, type TemplateReader } from './message.template.js';
export { bulkHeaders, feedbackId, listIdValue, type BulkMail } from './list-headers.js';
export { RenderError } from './mjml.js';
export { escapeHtml, escapeText, safeHttpUrl, truncate } from './escape.js';
export { htmlLinks } from './links.js';
export { LEFTOVER, PLACEHOLDERS, type Placeholder } from './placeholders.js';
export { TEMPLATES_DIR } from './template-files.js';
export { checkRenderSettings, SUBJECT_VARIABLES, subjectTemplateProblems } from './subject-template.js';
export {
  checkMessage,
  describePreflight,
  HTML_BUDGET_BYTES,
  preflightEdition,
  type MessageToCheck,
  type PreflightCode,
  type PreflightOptions,
  type PreflightProblem,
  type PreflightReport,
} from './preflight.js';
export { editionPath, slotFromSegment, slotSegment } from './edition-url.js';
export { longDate, sectionView, type SectionView, type StoryView } from './edition.view.js';
