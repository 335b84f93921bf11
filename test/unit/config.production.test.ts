import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configProblems } from '../helpers/config.js';

/** A production configuration that can work: every check below removes or weakens one setting of it. */
const complete = {
  NODE_ENV: 'production',
  DATA_DIR: 'memory://',
  SECRET: 's'.repeat(32),
  ADMIN_TOKEN: 'a'.repeat(32),
  PUBLIC_URL: 'https://news.example.com',
  SMTP_URL: 'smtp://user:hunter2@relay.example.com:587',
  POSTAL_ADDRESS: '1 Main Street, Springfield',
};

const problems = configProblems;

describe('production refuses what cannot work', () => {
  it('starts with a complete configuration, on the embedded database too', () => {
    const c = loadConfig(complete);
    expect(c.production).toBe(true);
    expect(c.databaseUrl).toBeUndefined();
  });

  it('with nothing configured, lists every problem at once, one line each', () => {
    const lines = problems({ NODE_ENV: 'production', DATA_DIR: 'memory://' });
    expect(lines).toEqual([
      'config: SECRET is not set: production needs its own SECRET (the key of every link in emails) of at least 32 characters (use: openssl rand -hex 32)',
      'config: ADMIN_TOKEN is not set: production needs an ADMIN_TOKEN (for /admin, /api and /metrics) of at least 32 characters (use: openssl rand -base64 32)',
      'config: PUBLIC_URL is not set: links in emails would point at http://localhost (set the https:// address readers reach)',
      'config: SMTP_URL is not set: mail would go to the built-in catcher and never leave this machine',
      "config: POSTAL_ADDRESS is empty: bulk mail must show the sender's postal address in every message",
    ]);
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    ['a missing SECRET', { SECRET: '' }, /^config: SECRET is not set/],
    ['a SECRET under 32 characters', { SECRET: 'x'.repeat(31) }, /^config: SECRET must be at least 32 characters in production/],
    ['a missing ADMIN_TOKEN', { ADMIN_TOKEN: '' }, /^config: ADMIN_TOKEN is not set/],
    [
      'an ADMIN_TOKEN under 32 characters',
      { ADMIN_TOKEN: 'y'.repeat(20) },
      /^config: ADMIN_TOKEN must be at least 32 characters in production/,
    ],
    ['a missing PUBLIC_URL', { PUBLIC_URL: '' }, /^config: PUBLIC_URL is not set/],
    [
      'an http PUBLIC_URL',
      { PUBLIC_URL: 'http://news.example.com' },
      /^config: PUBLIC_URL "http:\/\/news.example.com" is not https: .*ALLOW_HTTP_PUBLIC_URL=true/,
    ],
    ['a missing SMTP_URL', { SMTP_URL: ' ' }, /^config: SMTP_URL is not set/],
    ['an empty POSTAL_ADDRESS', { POSTAL_ADDRESS: '' }, /^config: POSTAL_ADDRESS is empty/],
  ];
  for (const [what, change, line] of cases) {
    it(`refuses ${what}, in one line`, () => {
      const lines = problems({ ...complete, ...change });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    });
  }

  it('accepts an http PUBLIC_URL when the operator says the network is private', () => {
    expect(loadConfig({ ...complete, PUBLIC_URL: 'http://digest.internal', ALLOW_HTTP_PUBLIC_URL: 'true' }).publicUrl).toBe(
      'http://digest.internal',
    );
    // Only the exact word opts out: "yes" is refused, and the http URL with it.
    expect(problems({ ...complete, PUBLIC_URL: 'http://digest.internal', ALLOW_HTTP_PUBLIC_URL: 'yes' })).toEqual([
      'config: ALLOW_HTTP_PUBLIC_URL "yes" must be true or false',
      expect.stringMatching(/^config: PUBLIC_URL "http:\/\/digest.internal" is not https/),
    ]);
  });

  it('reports a malformed value beside the production problems, once per variable, never echoing a secret', () => {
    const lines = problems({ ...complete, SECRET: 'short', DIGEST_CRON: 'nope', SMTP_URL: '' });
    expect(lines).toEqual([
      'config: SECRET must be at least 16 characters (use: openssl rand -hex 32)',
      expect.stringMatching(/^config: DIGEST_CRON "nope" is not a cron expression/),
      'config: SMTP_URL is not set: mail would go to the built-in catcher and never leave this machine',
    ]);
    expect(lines.join('\n')).not.toContain('short');
  });

  it('keeps the development rules outside production: short tokens and no settings still run', () => {
    expect(problems({ DATA_DIR: 'memory://', SECRET: 'a-secret-of-enough-length', ADMIN_TOKEN: 'twelve-chars' })).toEqual([]);
  });
});
