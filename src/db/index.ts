export * from './schema.js';
export { openDatabase, type Db, type Engine, type OpenDatabase, type OpenOptions } from './open-database.js';
export { migrate, migrationState, MigrationError, MIGRATIONS_DIR, SchemaNewerError, type MigrationState } from './migrate.js';
export { DataDirLockedError } from './data-dir-lock.js';
export { DataDirError } from './data-dir-error.js';
export { INITDB_TEMPLATE } from './initdb-template.js';
export {
  classifyConnectError,
  databaseConnectError,
  DatabaseError,
  DatabaseNotSetUpError,
  MigrationsPendingError,
  type DatabaseSetting,
} from './database-error.js';
export { serveDatabaseSocket, databaseSocketPath, type DatabaseSocket, type DatabaseSocketOptions } from './database-socket.js';
export { DatabaseBusyError } from './database-busy-error.js';
