export { bearerToken, requireAdminToken, safeEqual } from './admin/admin-auth.js';
export { buildServer } from './server.js';
export type { WebDeps } from './web-deps.js';
