export { startMailCatcher, type MailCatcher } from './catcher-server.js';
export { MailStore, type CaughtSummary } from './mail-store.js';
export { openMailDestination, type MailDestination } from './mail-destination.js';
