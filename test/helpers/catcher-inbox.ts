import { ADMIN_TOKEN } from './config.js';

/**
 * The built-in catcher's inbox read over HTTP, as the operator at `digest serve` would (GET
 * /inbox/messages.json with the admin token), with bounded waits.
 */
export interface InboxEntry {
  readonly id: string;
  readonly subject: string;
  readonly to: string[];
  readonly from: string;
  readonly receivedAt: string;
}

export async function inboxMessages(baseUrl: string, token = ADMIN_TOKEN): Promise<InboxEntry[]> {
  const res = await fetch(`${baseUrl}/inbox/messages.json`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /inbox/messages.json: ${res.status}`);
  return (await res.json()) as InboxEntry[];
}

/** The messages to `address` (oldest first). */
export async function messagesTo(baseUrl: string, address: string): Promise<InboxEntry[]> {
  const all = await inboxMessages(baseUrl);
  return all.filter((m) => m.to.includes(address)).sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
}

/** Waits (at most `timeoutMs`) until `address` has more than `seen` messages; returns the newest. */
export async function waitForMessageTo(baseUrl: string, address: string, seen: number, timeoutMs = 20_000): Promise<InboxEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await messagesTo(baseUrl, address);
    if (list.length > seen) return list[list.length - 1]!;
    if (Date.now() > deadline) throw new Error(`no message ${seen + 1} to ${address} within ${timeoutMs} ms (inbox has ${list.length})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
