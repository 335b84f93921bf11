import { describe, expect, it } from 'vitest';
import { classifyConnectError } from '../../src/db/database-error.js';

/** The causes the integration test cannot make on one machine, by the codes node and PostgreSQL give them. */
const URL_ = 'postgres://digest:s3cret@db.internal:6543/news';

describe('classifyConnectError: by code, never by the words, save 28000', () => {
  it.each([
    [
      { code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN db.internal' },
      'DB_NO_SUCH_HOST',
      /no such host "db\.internal" \(DNS did not answer\)/,
    ],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.internal' }, 'DB_NO_SUCH_HOST', /the name does not resolve/],
    [{ code: 'EHOSTUNREACH', message: 'connect EHOSTUNREACH' }, 'DB_UNREACHABLE', /db\.internal:6543 is unreachable/],
    [{ code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }, 'DB_CONNECT_TIMEOUT', /no answer from db\.internal:6543 within 10 s/],
    [{ message: 'timeout expired' }, 'DB_CONNECT_TIMEOUT', /no answer/],
    [
      { code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.5", user "digest", database "news", no encryption' },
      'DB_NOT_PERMITTED',
      /does not let user "digest" connect from here \(pg_hba\.conf\)/,
    ],
    [{ code: '28000', message: 'role "digest" does not exist' }, 'DB_NO_SUCH_ROLE', /role "digest" does not exist on db\.internal:6543/],
    [
      { code: '28P01', message: 'password authentication failed for user "digest"' },
      'DB_AUTHENTICATION_FAILED',
      /password authentication failed for user "digest"/,
    ],
    [
      { code: '3D000', message: 'database "news" does not exist' },
      'DB_NO_SUCH_DATABASE',
      /database "news" does not exist on db\.internal:6543/,
    ],
    [{ code: '53300', message: 'sorry, too many clients already' }, 'DB_TOO_MANY_CONNECTIONS', /no connection slots left/],
    [{ message: 'The server does not support SSL connections' }, 'DB_TLS_FAILED', /TLS with db\.internal:6543 failed/],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, 'DB_TLS_FAILED', /TLS/],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, 'DB_CONNECT_FAILED', /could not connect to db\.internal:6543: read ECONNRESET/],
  ])('%o', (err, code, what) => {
    const f = classifyConnectError(err, URL_);
    expect(f.code).toBe(code);
    expect(f.what).toMatch(what);
    expect(f.hint.length).toBeGreaterThan(10);
    expect(JSON.stringify(f)).not.toContain('s3cret');
  });

  it('reads host and port from a unix-socket URL', () => {
    expect(classifyConnectError({ code: 'ENOENT' }, 'postgres:///news?host=/run/postgresql').what).toBe(
      'no PostgreSQL socket at /run/postgresql:5432',
    );
  });
});
