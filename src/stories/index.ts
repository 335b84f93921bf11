export { cleanLine, cleanText, htmlToText, truncateText } from './clean-text.js';
export { importStories, parseStoriesDocument, type ImportResult } from './import-stories.js';
export { loadDocument } from './load-document.js';
export { FeedError, MAX_FEED_BYTES, parseFeedDocument } from './parse-feed.js';
export { candidatesQuery, findCandidates, type CandidateOptions } from './find-candidates.js';
export { NO_OVERRIDES, overridesFor, setOverride, type Overrides } from './story-overrides.js';
export { feedSource, pollFeeds, type FeedPollResult, type FeedSource } from './poll-feeds.js';
export {
  describeProblem,
  parseDate,
  parseStoryBatch,
  parseStoryItem,
  STORY_LIMITS,
  type ItemProblem,
  type ParsedBatch,
  type StoryInput,
} from './story-input.js';
export { upsertStories, type UpsertOptions, type UpsertResult } from './upsert-stories.js';
export {
  API_SOURCE,
  DEMO_SOURCE,
  FILE_SOURCE,
  describeOwnedElsewhere,
  logOwnedElsewhere,
  sourceOfLocation,
  type OwnedElsewhere,
} from './story-source.js';
export {
  clickLinks,
  clicksForDate,
  clicksForEdition,
  readerClickToken,
  recordClick,
  verifyStoryLink,
  type ClickTarget,
} from './click-tracking.js';
