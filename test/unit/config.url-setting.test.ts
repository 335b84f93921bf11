import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { redactUrl, urlProblem } from '../../src/config/url-setting.js';

const base = { SECRET: 'a-secret-of-sufficient-length' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split('\n');
  }
}

describe('DATABASE_URL and SMTP_URL at config load: what is wrong, never the password', () => {
  it.each([
    [
      'DATABASE_URL',
      'localhost:5432/digest',
      /^config: DATABASE_URL starts with localhost:\/\/, expected postgres:\/\/ or postgresql:\/\//,
    ],
    ['DATABASE_URL', 'digest', /^config: DATABASE_URL is not a URL: it should start with postgres:\/\/ or postgresql:\/\//],
    ['DATABASE_URL', 'mysql://root:s3cret-pw@db/x', /^config: DATABASE_URL starts with mysql:\/\/, expected postgres/],
    [
      'DATABASE_URL',
      'postgres://digest:s3cret-pw@db:99999/digest',
      /^config: DATABASE_URL \(postgres:\/\/digest:\*\*\*@db:99999\/digest\) is not a valid URL: check the host and port/,
    ],
    [
      'DATABASE_URL',
      'postgres://digest:s3c#ret-pw@db/digest',
      /^config: DATABASE_URL \(postgres:\/\/digest:\*\*\*@db\/digest\) is not a valid URL|has no host/,
    ],
    [
      'DATABASE_URL',
      'postgres://digest:100%pw@db/digest',
      /^config: DATABASE_URL \(postgres:\/\/digest:\*\*\*@db\/digest\) has a password with a stray %/,
    ],
    ['SMTP_URL', 'smtp://user:s3cret-pw@', /^config: SMTP_URL \(.*\) is not a valid URL|^config: SMTP_URL .* has no host name/],
    ['SMTP_URL', 'https://relay.example', /^config: SMTP_URL starts with https:\/\/, expected smtp:\/\/ or smtps:\/\//],
    ['SMTP_URL', 'relay.example:587', /^config: SMTP_URL starts with relay\.example:\/\/, expected smtp/],
  ])('%s=%s', (name, value, expected) => {
    const lines = problems({ [name]: value });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
    expect(lines[0]).not.toContain('s3cret');
    expect(lines[0]).not.toContain('s3c#ret');
  });

  it('accepts good URLs', () => {
    expect(
      problems({
        DATABASE_URL: 'postgres://digest:p%40ss@db.internal:5432/digest?sslmode=require',
        SMTP_URL: 'smtps://u:p@relay.example:465',
      }),
    ).toEqual([]);
  });

  it('never prints a password, whatever the URL looks like', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9]{8,20}$/).map((p) => `Pw${p}`);
    const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[@:/?#% a-z.]{0,10}$/)).filter((s) => !s.includes('Pw'));
    fc.assert(
      fc.property(fc.constantFrom('postgres', 'smtp', 'http', 'postgresql', ''), junk, password, junk, (scheme, user, pw, host) => {
        const value = `${scheme}${scheme ? '://' : ''}${user}:${pw}@${host}`;
        for (const [name, protocols] of [
          ['DATABASE_URL', ['postgres:', 'postgresql:']],
          ['SMTP_URL', ['smtp:', 'smtps:']],
        ] as const) {
          const problem = urlProblem(name, value, protocols);
          if (problem) expect(problem).not.toContain(pw);
        }
        expect(redactUrl(value)).not.toContain(pw);
      }),
      { numRuns: 3000 },
    );
  });
});
