import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { html, type SafeHtml } from '../pages/html.js';

/**
 * What a live admin page (the inbox, an edition) shows of what changes while it is open: a few
 * elements by id, whether there is still something to wait for, and a version of both. The page
 * and its JSON twin build it with the same function, so the page's first ask gets 204 when nothing
 * moved, and only a change sends markup (the script is assets/live.script.ts).
 */
export interface LiveView {
  /** Element id → its inner HTML. */
  readonly parts: Readonly<Record<string, SafeHtml>>;
  /** False once nothing more can change by itself (an edition sent): the script stops asking. */
  readonly live: boolean;
}

/** A short digest of the parts and the flag: cheap next to the reads that made them, and never stale. */
export function liveVersion(view: LiveView): string {
  const hash = createHash('sha256');
  hash.update(view.live ? '1' : '0');
  for (const [id, part] of Object.entries(view.parts)) hash.update(`\0${id}\0${part.value}`);
  return hash.digest('base64url').slice(0, 22);
}

/**
 * The page's "Refresh" link (for a browser without script, or a page that stopped asking) and the
 * attributes the script reads; its note says whether the page updates by itself.
 */
export function liveControl(src: string, refreshHref: string, view: LiveView): SafeHtml {
  return html`<span class="muted" data-live-src="${src}" data-live-version="${liveVersion(view)}" data-live="${view.live ? 'on' : 'off'}"><a href="${refreshHref}">Refresh</a> <span data-live-note></span></span>`;
}

/** The JSON twin's answer: 204 when the caller already shows this version, else the parts. Never cached. */
export function sendLiveView(reply: FastifyReply, shown: string | undefined, view: LiveView): FastifyReply {
  reply.header('cache-control', 'no-store');
  const version = liveVersion(view);
  if (shown === version) return reply.code(204).send();
  const parts: Record<string, string> = {};
  for (const [id, part] of Object.entries(view.parts)) parts[id] = part.value;
  return reply.send({ version, live: view.live, parts });
}
