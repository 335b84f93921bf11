export {
  createMailer,
  createSender,
  createSmtpTransport,
  smtpOptions,
  type Mailer,
  type OutgoingMail,
  type SmtpOptions,
} from './smtp/mailer.js';
export { classifySmtpFailure, NEVER_CONNECTED, type Classified, type SmtpFailure, type SmtpOutcome } from './smtp/smtp-reply.js';
export { nextRetry, type RetryDecision, type RetryPolicy } from './retry-policy.js';
export { addressDomain, bareAddress, deliveryMessageId, parseVerpAddress, verpAddress } from './verp.js';
export { createDeliveries } from './create-deliveries.js';
export { claimDeliveries, extendLeases, type ClaimedDelivery, type ClaimResult } from './claim-deliveries.js';
export { failPastCutoff, PAST_CUTOFF, markFailed, markRetry, markSent, releaseClaims, type SentMark } from './delivery-state.js';
export { digestMessageSource, type ComposeDelivery, type MessageSource } from './message-source.js';
export { DeliveryWorker, type WorkerDeps, type WorkerEvent, type WorkerOptions } from './delivery-worker.js';
export { EDITION_CHECK_MS, EditionWatch } from './edition-watch.js';
export { deliveryCounts, deliveryOverview, type DeliveryCounts, type DeliveryOverview, type EditionStatusRow } from './delivery-stats.js';
export { parseDeliveryStatus, parseFeedbackReport, reportsFromMessage, type BounceKind, type BounceReport } from './bounces/parse-dsn.js';
export { recordBounce, type BounceInput, type BounceResult } from './bounces/record-bounce.js';
export { startBounceInbox, type BounceInbox } from './bounces/bounce-inbox.js';
export { TIMESTAMP_TOLERANCE_MS, type RefusalReason, type WebhookOutcome, type WebhookProvider } from './bounces/webhook-outcome.js';
export { fetchSnsHttp, SnsCertificates, type SnsHttp } from './bounces/sns-certificates.js';
export {
  parseSnsEnvelope,
  snsCertificateUrl,
  snsStringToSign,
  snsUrl,
  verifySnsSignature,
  type SnsEnvelope,
} from './bounces/sns-signature.js';
export { readSesNotification } from './bounces/ses-notification.js';
export { receiveSesMessage } from './bounces/ses-webhook.js';
export { readMailgunEvent, receiveMailgunWebhook, verifyMailgunSignature, type MailgunSignature } from './bounces/mailgun-webhook.js';
export { postmarkAuthorized, readPostmarkRecord, receivePostmarkWebhook } from './bounces/postmark-webhook.js';
export {
  readSendgridEvents,
  receiveSendgridWebhook,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  verifySendgridSignature,
} from './bounces/sendgrid-webhook.js';
export { relayProblem, RelayUnavailable, shownSmtpUrl, type Outcome, type OutgoingMessage, type Sender } from './smtp/sender.js';
export { RelayWatch, type RelayStatus, type RelayWatchOptions } from './smtp/relay-watch.js';
export type { ThrottleChange, ThrottleStatus } from './smtp/smtp-pipeline.js';
export { currentThrottles, describeThrottle, type RelayThrottle } from './relay-throttle.repository.js';
export { ThrottleRecorder } from './throttle-recorder.js';
export { duplicateBound, mayHandOver, type WindowLimits, type WindowState } from './unrecorded-window.js';
export { OutcomeRecorder } from './outcome-recorder.js';
export { workerCount } from './worker-count.js';
export { deliveryGauges, relayGauges, type DeliveryGauges } from './delivery-metrics.js';
