import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from './ports.js';

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp dir, pg_ctl on a loopback port of its
 * own), for tests that restart the server: the machine's shared cluster is never touched. initdb
 * refuses root, so under root the cluster belongs to the `postgres` user (runuser).
 *
 * PostgreSQL takes no port 0: its port is reserved (helpers/ports.ts) from before the first start to
 * stop(), so that no other process can take it, neither before the server first listens nor while
 * it is halted or restarting (the url names it throughout).
 */
const BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';

export interface ThrowawayCluster {
  readonly url: string;
  restart(): void;
  /** Stops the server and keeps its data (`pg_ctl stop -m fast`): connections refused, until `start()` brings it back. */
  halt(): void;
  start(): void;
  /** Stops the server for good and deletes the cluster. */
  stop(): void;
}

/** `password`: TCP connections need it (scram-sha-256), as on a real server; the url carries it. Default: trust. */
export async function startThrowawayCluster(options: { password?: string } = {}): Promise<ThrowawayCluster> {
  const root = mkdtempSync(join(tmpdir(), 'digest-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(root, 0o755);
    const pw = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gr = execFileSync('id', ['-g', 'postgres']).toString().trim();
    chownSync(root, Number(pw), Number(gr));
  }
  const run = (bin: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : join(BIN, bin), asRoot ? ['-u', 'postgres', '--', join(BIN, bin), ...args] : args, {
      stdio: 'pipe',
      timeout: 60_000,
    });
  const auth = options.password ? ['--auth-local=trust', '--auth-host=scram-sha-256'] : ['--auth=trust'];
  run('initdb', ['-D', data, '-U', 'postgres', ...auth, '--no-sync', '-E', 'UTF8']);
  // The server binds the reserved port (with SO_REUSEADDR) while the reservation still holds it.
  const reserved = await reservePort();
  const port = reserved.port;
  const opts = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  const ctl = (action: string, extra: string[] = []) =>
    run('pg_ctl', ['-D', data, '-o', opts, '-l', join(root, 'log'), '-w', '-t', '30', ...extra, action]);
  try {
    ctl('start');
  } catch (err) {
    await reserved.release();
    throw err;
  }
  if (options.password) {
    // Over the cluster's own unix socket, which stays trust: the one way in before a password exists.
    const escaped = options.password.replace(/'/g, "''");
    run('psql', ['-h', root, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qc', `ALTER ROLE postgres PASSWORD '${escaped}'`]);
  }
  const credentials = options.password ? `postgres:${encodeURIComponent(options.password)}` : 'postgres';
  return {
    url: `postgres://${credentials}@127.0.0.1:${port}/postgres`,
    restart: () => ctl('restart', ['-m', 'fast']),
    halt: () => ctl('stop', ['-m', 'fast']),
    start: () => ctl('start'),
    stop: () => {
      try {
        ctl('stop', ['-m', 'immediate']);
      } finally {
        void reserved.release();
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
