export type { Config, SigningKey } from './config.js';
export { ConfigError, type ConfigProblem } from './config-error.js';
export { loadConfig, readEnvironment, type EnvSource } from './load-config.js';
