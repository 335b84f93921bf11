import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configProblems } from '../helpers/config.js';

const base = { SECRET: 'a-secret-of-enough-length', DATA_DIR: 'memory://' };

const problems = (env: Record<string, string>) => configProblems({ ...base, ...env });

describe('configuration', () => {
  it('runs on defaults with nothing set but a secret', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.digest).toEqual({ cron: '0 6 * * *', timeZone: 'UTC', cutoffHours: 6 });
    expect(c.sections).toEqual({ topStories: 10, topBlogs: 5 });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.smtp.url).toBeUndefined();
    expect(Object.isFrozen(c) && Object.isFrozen(c.digest)).toBe(true);
  });

  it('reports every bad value at once, one line each, naming the variable', () => {
    const lines = problems({ DIGEST_CRON: '0 6 * *', PORT: 'eighty', DIGEST_TZ: 'Mars/Olympus', TOP_STORIES: '500' });
    expect(lines).toHaveLength(4);
    expect(lines).toContain(
      'config: DIGEST_CRON "0 6 * *" is not a cron expression: it has 4 fields; it needs 5 (minute hour day-of-month month day-of-week) or 6 (second first)',
    );
    expect(lines.some((l) => l.startsWith('config: PORT "eighty"'))).toBe(true);
    expect(lines.some((l) => l.includes('DIGEST_TZ "Mars/Olympus" is not an IANA time zone'))).toBe(true);
    expect(lines.some((l) => l.includes('TOP_STORIES 500 is out of range'))).toBe(true);
  });

  it('never echoes a URL that may carry a password', () => {
    const lines = problems({ SMTP_URL: 'http://user:hunter2@relay', DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).toMatch(/SMTP_URL starts with http:\/\/, expected smtp:\/\/ or smtps:\/\//);
  });

  it('treats an empty variable as unset', () => {
    const c = loadConfig({ ...base, SMTP_URL: '', DATABASE_URL: '  ', PORT: '' });
    expect(c.smtp.url).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.port).toBe(3000);
  });

  it('gives rotated secrets distinct key ids and keeps the previous one', () => {
    const c = loadConfig({ ...base, SECRET_PREVIOUS: 'the-old-secret-of-length' });
    expect(c.keys.previous).toBeDefined();
    expect(c.keys.previous!.id).not.toBe(c.keys.current.id);
  });

  it('refuses a NODE_ENV other than production, development or test, naming the valid ones', () => {
    for (const typo of ['prod', 'Production', 'staging']) {
      expect(problems({ NODE_ENV: typo })).toEqual([`config: NODE_ENV "${typo}" must be production, development or test (or unset)`]);
    }
    for (const ok of ['production', 'development', 'test', '', ' test ']) {
      const lines = problems({ NODE_ENV: ok });
      expect(
        lines.filter((l) => l.includes('NODE_ENV')),
        ok,
      ).toEqual([]);
    }
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).production).toBe(false);
  });

  it('refuses a short secret without printing it', () => {
    const lines = problems({ SECRET: 'short' });
    expect(lines).toEqual(['config: SECRET must be at least 16 characters (use: openssl rand -hex 32)']);
  });
});
