import { ConfigError, loadConfig, type Config, type EnvSource } from '../../src/config/index.js';

/** A Config for tests: fixed secret and admin token, quiet logs, any overrides on top. */
export function testConfig(overrides: EnvSource = {}): Config {
  return loadConfig({
    SECRET: 'test-secret-0123456789abcdef',
    ADMIN_TOKEN: 'test-admin-token-123',
    DATA_DIR: 'memory://',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export const ADMIN_TOKEN = 'test-admin-token-123';

/** The `config: …` lines loadConfig refuses `env` with (none when it loads). Never generates a SECRET. */
export function configProblems(env: EnvSource): string[] {
  try {
    loadConfig(env, { generateSecret: false });
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}
