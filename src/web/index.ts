export { buildServer } from './server.js';
export type { WebDeps } from './web-deps.js';
