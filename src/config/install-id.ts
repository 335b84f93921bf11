import { createHmac } from 'node:crypto';

/**
 * This install's id: 16 hex characters, an HMAC of SECRET over the database it keeps its state in.
 * Message-IDs and Feedback-ID carry it (delivery/verp.ts deliveryMessageId): edition and delivery ids
 * restart at 1 in every database, so without it two installs (two SECRETs), or one SECRET moved from
 * a PGlite trial to PostgreSQL, or a staging copy on another database, would give one reader two
 * different digests with the same Message-ID, and Gmail drops a message whose id it has seen.
 *
 * Derived, not stored: it needs no migration and no file, and is the same in every process of the
 * install. It changes when SECRET is rotated or DATABASE_URL names another host or database; only a
 * message resent across that change then carries a new id.
 */
export function installId(secret: string, database: string): string {
  return createHmac('sha256', secret).update(`install-id\0${database}`).digest('hex').slice(0, 16);
}

/**
 * Which database `databaseUrl` names, without the user, the password or options (those change
 * without the database changing); the embedded database is named by its directory.
 */
export function databaseIdentity(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return `pglite:${dataDir}`;
  try {
    const u = new URL(databaseUrl);
    return `postgres://${u.hostname.toLowerCase()}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres:unparsed';
  }
}
