import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, openDatabase } from '../../src/db/index.js';
import { runDigest } from '../helpers/cli.js';
import { ADMIN_URL } from '../helpers/database.js';
import { reservePort } from '../helpers/ports.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../helpers/throwaway-cluster.js';

/**
 * Every way DATABASE_URL can be wrong, against real servers: the machine's PostgreSQL (a database and a
 * role that do not exist), a cluster of the test's own that asks for passwords, a closed port (one
 * reserved: helpers/ports.ts), a name that does not resolve, a listener that never answers. Each gives one DatabaseError naming DATABASE_URL with the password hidden, the host and
 * port, what failed, and a hint.
 */
const PASSWORD = 'c0rrect-horse';

function withUrl(base: string, change: (u: URL) => void): string {
  const u = new URL(base);
  change(u);
  return u.toString();
}

async function failure(url: string, connectTimeoutMs?: number): Promise<DatabaseError> {
  const err = await openDatabase({ url, ...(connectTimeoutMs ? { connectTimeoutMs } : {}) }).then(
    async (opened) => {
      await opened.close();
      throw new Error(`${url} opened`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatabaseError);
  const e = err as DatabaseError;
  expect(e.setting).toBe('DATABASE_URL');
  expect(e.message).toMatch(/^DATABASE_URL postgres(ql)?:\/\//);
  expect(e.message).toMatch(/\n {2}hint: \S/);
  expect(e.message).not.toContain('s3cret');
  expect(e.message).not.toContain(PASSWORD);
  return e;
}

describe('DATABASE_URL that cannot be used: one error naming it, what failed and the fix', () => {
  const machine = withUrl(ADMIN_URL, (u) => (u.password = 's3cret'));

  it('no such database (3D000)', async () => {
    const e = await failure(withUrl(machine, (u) => (u.pathname = '/digest_no_such_db')));
    expect(e.code).toBe('DB_NO_SUCH_DATABASE');
    expect(e.message).toMatch(/database "digest_no_such_db" does not exist on 127\.0\.0\.1:5432/);
    expect(e.message).toMatch(/createdb -h 127\.0\.0\.1 -p 5432 -U postgres digest_no_such_db/);
  });

  it('no such role (28000)', async () => {
    const e = await failure(withUrl(machine, (u) => (u.username = 'digest_no_such_role')));
    expect(e.code).toBe('DB_NO_SUCH_ROLE');
    expect(e.message).toMatch(/role "digest_no_such_role" does not exist on 127\.0\.0\.1:5432/);
    expect(e.message).toContain('postgres://digest_no_such_role:***@127.0.0.1:5432/');
  });

  it('connection refused: a closed port', async () => {
    // Reserved (helpers/ports.ts): nothing listens there, and no other process can start to mid-test.
    const { port, release } = await reservePort();
    try {
      const e = await failure(`postgres://digest:s3cret@127.0.0.1:${port}/digest`);
      expect(e.code).toBe('DB_CONNECTION_REFUSED');
      expect(e.message).toContain(`DATABASE_URL postgres://digest:***@127.0.0.1:${port}/digest: connection refused at 127.0.0.1:${port}`);
      expect(e.message).toMatch(/hint: start PostgreSQL, or correct the host and port in DATABASE_URL/);
    } finally {
      await release();
    }
  });

  it('no such host', async () => {
    const e = await failure('postgres://digest:s3cret@nohost.invalid:5432/digest');
    expect(e.code).toBe('DB_NO_SUCH_HOST');
    expect(e.message).toMatch(/no such host "nohost\.invalid"/);
    expect(e.message).toMatch(/hint: correct the host name in DATABASE_URL/);
  });

  it('TLS asked of a server that does not offer it the way the URL wants', async () => {
    const e = await failure(withUrl(machine, (u) => u.searchParams.set('sslmode', 'verify-full')));
    expect(e.code).toBe('DB_TLS_FAILED');
    expect(e.message).toMatch(/TLS with 127\.0\.0\.1:5432 failed/);
    expect(e.message).toMatch(/sslmode/);
  });

  describe('timeout: a listener that never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    it('gives up after the connect timeout and says so', async () => {
      const port = (server.address() as { port: number }).port;
      const e = await failure(`postgres://digest:s3cret@127.0.0.1:${port}/digest`, 500);
      expect(e.code).toBe('DB_CONNECT_TIMEOUT');
      expect(e.message).toContain(`no answer from 127.0.0.1:${port} within 0.5 s`);
    });
  });

  describe('a server that asks for passwords', () => {
    let cluster: ThrowawayCluster;
    beforeAll(async () => {
      cluster = await startThrowawayCluster({ password: PASSWORD });
    }, 60_000);
    afterAll(() => cluster?.stop());

    it('opens with the right password', async () => {
      const opened = await openDatabase({ url: cluster.url });
      await opened.close();
    });

    it('authentication failed (28P01): a wrong password', async () => {
      const e = await failure(withUrl(cluster.url, (u) => (u.password = 's3cret-wrong')));
      expect(e.code).toBe('DB_AUTHENTICATION_FAILED');
      expect(e.message).toMatch(/password authentication failed for user "postgres" on 127\.0\.0\.1:\d+/);
      expect(e.message).toMatch(/hint: correct the password in DATABASE_URL/);
    });

    it('no password at all', async () => {
      const e = await failure(withUrl(cluster.url, (u) => (u.password = '')));
      expect(e.code).toBe('DB_AUTHENTICATION_FAILED');
      expect(e.message).toMatch(/asks user "postgres" for a password and DATABASE_URL has none/);
    });
  });
});

describe('the same lines from the digest process, exit 1', () => {
  it('serve and status on a closed port name DATABASE_URL, the address and the fix', async () => {
    // Reserved (helpers/ports.ts): nothing listens there, through all three processes.
    const { port, release } = await reservePort();
    const url = `postgres://digest:s3cret@127.0.0.1:${port}/digest`;
    try {
      for (const args of [['status'], ['serve'], ['migrate']]) {
        const r = await runDigest(args, { DATABASE_URL: url, SECRET: 'connect-errors-secret-0123456789', PORT: '0' });
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr.trim().split('\n')).toEqual([
          `digest: DATABASE_URL postgres://digest:***@127.0.0.1:${port}/digest: connection refused at 127.0.0.1:${port}: nothing is listening there`,
          '  hint: start PostgreSQL, or correct the host and port in DATABASE_URL',
        ]);
      }
    } finally {
      await release();
    }
  });

  it('a missing database and a missing role, told apart', async () => {
    const noDb = withUrl(ADMIN_URL, (u) => (u.pathname = '/digest_absent'));
    const r1 = await runDigest(['top'], { DATABASE_URL: noDb, SECRET: 'connect-errors-secret-0123456789' });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(
      /^digest: DATABASE_URL postgres:\/\/postgres@127\.0\.0\.1:5432\/digest_absent: database "digest_absent" does not exist on 127\.0\.0\.1:5432\n {2}hint: create it/,
    );
    const noRole = withUrl(ADMIN_URL, (u) => {
      u.username = 'digest_absent_role';
      u.password = 's3cret';
    });
    const r2 = await runDigest(['send', '--dry-run'], { DATABASE_URL: noRole, SECRET: 'connect-errors-secret-0123456789' });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(
      /^digest: DATABASE_URL postgres:\/\/digest_absent_role:\*\*\*@127\.0\.0\.1:5432\/\S*: role "digest_absent_role" does not exist on 127\.0\.0\.1:5432\n {2}hint: create it/,
    );
    expect(r2.stderr).not.toContain('s3cret');
  });

  it('a malformed DATABASE_URL is refused at config load, password never shown', async () => {
    const r = await runDigest(['status'], {
      DATABASE_URL: 'postgres://digest:s3c/ret@db.example:5432/digest',
      SECRET: 'connect-errors-secret-0123456789',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^config: DATABASE_URL .* is not a valid URL/);
    expect(r.stderr).not.toContain('s3c');
  });

  it('so is a malformed SMTP_URL, with the database one, each on its own line', async () => {
    const r = await runDigest(['send', '--dry-run'], {
      SMTP_URL: 'smtp://mailer:s3cret#pw@relay.example:587',
      DATABASE_URL: 'mysql://root:s3cret@db/x',
      SECRET: 'connect-errors-secret-0123456789',
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines).toContain('config: DATABASE_URL starts with mysql://, expected postgres:// or postgresql://');
    expect(lines.some((l) => /^config: SMTP_URL \(smtp:\/\/mailer:\*\*\*@relay\.example:587\) is not a valid URL/.test(l))).toBe(true);
    expect(r.stderr).not.toContain('s3cret');
  });
});
