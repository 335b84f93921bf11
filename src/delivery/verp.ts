import { digestMessageIdLocal } from '../config/index.js';

/**
 * VERP (variable envelope return path): each message's envelope sender names its delivery, so a
 * bounce that comes back, however mangled its body, says which delivery (and reader) it is about.
 * BOUNCE_ADDRESS bounces@example.com → bounces+<delivery id>@example.com.
 */
export function verpAddress(bounceAddress: string, deliveryId: number): string {
  const at = bounceAddress.lastIndexOf('@');
  return `${bounceAddress.slice(0, at)}+${deliveryId}@${bounceAddress.slice(at + 1)}`;
}

/** The delivery id of a VERP address, or undefined when `address` is not one of ours. */
export function parseVerpAddress(bounceAddress: string, address: string): number | undefined {
  const at = bounceAddress.lastIndexOf('@');
  const local = bounceAddress.slice(0, at).toLowerCase();
  const domain = bounceAddress.slice(at + 1).toLowerCase();
  const m = /^([^@+]+)\+(\d{1,15})@(.+)$/.exec(address.trim().replace(/^<|>$/g, '').toLowerCase());
  if (!m || m[1] !== local || m[3] !== domain) return undefined;
  const id = Number(m[2]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * The Message-ID of a delivery: `<digest.{edition}.{delivery}.{install}@{domain}>`.
 * - A function of the delivery alone, so a message resent after a crash carries the same Message-ID
 *   as the copy that may already have gone (and the reader's client can fold them).
 * - The install id (config.installId: SECRET and database) keeps two installs apart: their edition
 *   and delivery ids both start at 1, and Gmail drops a message whose Message-ID it has already seen.
 * The shape lives in config/message-id.ts, beside the check that keeps such ids in logs.
 */
export function deliveryMessageId(deliveryId: number, editionId: number, domain: string, installId: string): string {
  return `<${digestMessageIdLocal(editionId, deliveryId, installId)}@${domain}>`;
}

/** The domain of an address such as `Daily Digest <digest@example.com>`. */
export function addressDomain(from: string): string {
  const m = /@([^>\s]+)>?\s*$/.exec(from);
  return m?.[1]?.toLowerCase() ?? 'localhost';
}

/** The bare address of `Name <addr>` or `addr`. */
export function bareAddress(from: string): string {
  const m = /<([^>]+)>/.exec(from);
  return (m?.[1] ?? from).trim();
}
