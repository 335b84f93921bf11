export * from './schema.js';
export { openDatabase, type Db, type Engine, type OpenDatabase, type OpenOptions } from './open-database.js';
export { migrate, MigrationError, MIGRATIONS_DIR } from './migrate.js';
export { DataDirLockedError } from './data-dir-lock.js';
export { DataDirError } from './data-dir-error.js';
