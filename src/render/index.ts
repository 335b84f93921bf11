export { renderConfirmation, type ConfirmationInput, type RenderedMail } from './confirmation.render.js';
export { RenderError } from './mjml.js';
export { escapeHtml, escapeText, safeHttpUrl, truncate } from './escape.js';
export { TEMPLATES_DIR } from './template-files.js';
