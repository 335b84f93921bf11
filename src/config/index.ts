export type { Config, SigningKey } from './config.js';
export { ConfigError, type ConfigProblem } from './config-error.js';
export { createLogger, scrubAddresses, silentLogger, type Logger } from './logger.js';
export { loadConfig, readEnvironment, type EnvSource } from './load-config.js';
export { defaultLocale, loadLocale, LocaleError, LOCALES_DIR, type Locale, type MessageVars } from './locale.js';
export { fixedClock, shiftedClock, systemClock, type Clock } from './clock.js';
export { parseAllowPrivate, type HostEntry } from './allow-private.js';
export { redactUrl } from './url-setting.js';
export type { ListId } from './list-id.js';
