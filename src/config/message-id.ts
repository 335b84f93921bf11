/**
 * The shape of the Message-IDs this service gives, in one place: delivery/verp.ts builds a digest's
 * from it, and the logger (logger.ts) keeps ids of these shapes in log lines while it scrubs every
 * other address-shaped text.
 */

/** The left part of a digest's Message-ID: `digest.<edition>.<delivery>.<install id>`. */
const DIGEST_LOCAL = /^digest\.\d{1,15}\.\d{1,15}\.[0-9a-f]{16}$/i;
/** nodemailer's default left part (confirmation and notice mail): UUID-like. */
const UUID_LOCAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INSTALL_ID = /^[0-9a-f]{16}$/;

/** The left part of a delivery's Message-ID (what DIGEST_LOCAL recognises). */
export function digestMessageIdLocal(editionId: number, deliveryId: number, installId: string): string {
  if (!INSTALL_ID.test(installId)) throw new Error(`install id "${installId}" is not 16 hex characters`);
  return `digest.${editionId}.${deliveryId}.${installId}`;
}

/** Whether `local`, the part before the @, is one that we (or nodemailer for us) generate. */
export function isOurMessageIdLocal(local: string): boolean {
  return DIGEST_LOCAL.test(local) || UUID_LOCAL.test(local);
}
