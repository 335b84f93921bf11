export { describeAddressProblem, parseEmailAddress, type AddressProblem, type ParsedAddress } from './email-address.js';
export { confirmUrl, listUnsubscribeHeaders, preferencesUrl, unsubscribeUrl, type LinkSubscriber } from './links.js';
export { confirmSubscriber, markBounced, resubscribe, unsubscribe, type ChangeResult } from './subscriber-state.js';
export { emailHash, isSuppressed, suppress, unsuppress, type SuppressionReason } from './suppression.repository.js';
export { signToken, verifyToken, type TokenFailure, type TokenKeys, type TokenPurpose, type TokenSubject, type VerifiedToken } from './tokens.js';
export { subscriberCounts, subscriberGrowth, unsubscribeReasons, type GrowthDay, type UnsubscribeReasons } from './subscriber-stats.js';
