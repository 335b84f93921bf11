export { createMailer, createSmtpTransport, smtpOptions, type Mailer, type OutgoingMail, type SmtpOptions } from './mailer.js';
export { classifySmtpFailure, NEVER_CONNECTED, type Classified, type SmtpFailure, type SmtpOutcome } from './smtp-reply.js';
export { nextRetry, type RetryDecision, type RetryPolicy } from './retry-policy.js';
export { addressDomain, bareAddress, deliveryMessageId, parseVerpAddress, verpAddress } from './verp.js';
export { createDeliveries } from './deliveries.create.js';
export { claimDeliveries, extendLeases, type ClaimedDelivery, type ClaimResult } from './deliveries.claim.js';
export { failPastCutoff, PAST_CUTOFF, markFailed, markRetry, markSent, releaseClaims, type SentMark } from './deliveries.complete.js';
export { digestMessageSource, type ComposeDelivery, type MessageSource } from './edition.messages.js';
export { DeliveryWorker, type WorkerDeps, type WorkerEvent, type WorkerOptions } from './delivery.worker.js';
export { deliveryCounts, deliveryOverview, type DeliveryCounts, type DeliveryOverview, type EditionStatusRow } from './delivery.stats.js';
export { parseDeliveryStatus, parseFeedbackReport, reportsFromMessage, type BounceKind, type BounceReport } from './dsn.parse.js';
export { recordBounce, type BounceInput, type BounceResult } from './bounce.service.js';
export { startBounceInbox, type BounceInbox } from './bounce.inbox.js';

