import type { FastifyInstance } from 'fastify';
import { LIVE_JS, LIVE_SCRIPT } from './assets/live.script.js';
import { PREFERENCES_JS } from './assets/preferences.script.js';
import { PREFERENCES_SCRIPT } from './pages/preferences.page.js';
import { FAVICON_PATH } from './pages/layout.js';

/**
 * The site's few static files, kept in the code: the icon (a small SVG: a page of headlines in the
 * pages' blue), at /favicon.svg for the pages' <link rel=icon> and at /favicon.ico for everything
 * that asks there anyway (edition pages, the inbox's frames, browsers' own guess), the
 * preferences page's script, and the script of the admin's live pages (the inbox, an edition).
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1346b8"/><rect x="7" y="8" width="18" height="3.5" rx="1" fill="#fff"/><rect x="7" y="15" width="18" height="2" rx="1" fill="#fff"/><rect x="7" y="19.5" width="18" height="2" rx="1" fill="#fff"/><rect x="7" y="24" width="11" height="2" rx="1" fill="#fff"/></svg>`;

const DAY = 86_400;

export function assetsRoutes(app: FastifyInstance): void {
  for (const path of [FAVICON_PATH, '/favicon.ico']) {
    app.get(path, async (_request, reply) =>
      reply.type('image/svg+xml').header('cache-control', `public, max-age=${DAY}`).send(FAVICON_SVG),
    );
  }
  app.get(PREFERENCES_SCRIPT, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(PREFERENCES_JS),
  );
  app.get(LIVE_SCRIPT, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(LIVE_JS),
  );
}
