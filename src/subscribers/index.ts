export { describeAddressProblem, parseEmailAddress, type AddressProblem, type ParsedAddress } from './email-address.js';
export { confirmPath, confirmUrl, preferencesPath, preferencesUrl, unsubscribePath, unsubscribeUrl, type LinkSubscriber } from './links.js';
export {
  confirmSubscriber,
  eraseSubscriber,
  isPendingExpired,
  markBounced,
  purgeExpiredPending,
  resubscribe,
  unsubscribe,
  type ChangeResult,
} from './subscriber-state.js';
export { emailHash, suppress, unsuppress, type SuppressionReason } from './suppression.repository.js';
export {
  signFields,
  signToken,
  verifyFields,
  verifyToken,
  type TokenFailure,
  type VerifiedFields,
  type TokenKeys,
  type TokenPurpose,
  type TokenSubject,
  type VerifiedToken,
} from './tokens.js';
export { subscriberCounts, subscriberGrowth, unsubscribeReasons, type GrowthDay, type UnsubscribeReasons } from './subscriber-stats.js';
export { parseSubscriberCsv, type ImportRow, type ParsedCsv, type RowProblem } from './csv-rows.js';
export { importSubscribers, type ImportResult } from './import-subscribers.js';
export { EXPORT_COLUMNS, exportSubscribers } from './export-subscribers.js';
export { requestManageLink, requestSignup, type SignupOutcome, type SignupResult, type SubscriberDeps } from './signup.service.js';
export { findByToken, savePreferences } from './preferences.repository.js';
export { findSubscriber, searchSubscribers, subscriberEvents, type SubscriberEventRow } from './subscriber-search.js';
export { hitRateLimit, purgeRateLimits, rateLimitHits } from './rate-limit.repository.js';
export { createChallenge, verifyChallenge, type Challenge } from './challenge.js';
export { cleanName, parsePreferences, parseSections, type Preferences, type PreferencesResult } from './subscriber-input.js';
