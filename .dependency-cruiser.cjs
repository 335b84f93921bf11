// The import rules of src/ (README "Design": the import rule). `npm run lint` runs this.
//
// Layers, top to bottom; an import may only point down or sideways within a layer:
//   entry:   src/main.ts (the composition root of `digest serve`), cli/, web/, scheduler/
//   domains: stories, ranking, editions, subscribers, render, delivery, catcher, demo
//   base:    db, config (config imports nothing of ours; db may import config)
//            The one way up: db/schema.ts takes the domains' table types (<domain>/*.table.ts),
//            type-only, and those files import only db/column-types.ts.
// A folder's index.ts is its public face: from outside the folder, import ../<folder>/index.js only.
// test/ and bench/ are not cruised: tests may import anything, to prove a part on its own.

const DOMAINS = '(stories|ranking|editions|subscribers|render|delivery|catcher|demo)';
const ENTRY = '^src/(main\\.ts$|(cli|web|scheduler)/)';
// Each domain keeps its tables' types beside it; db/schema.ts composes them (type-only).
const TABLES = '^src/[^/]+/[^/]+\\.table\\.ts$';
const SCHEMA = '^src/db/schema\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A loop through the index files makes the load order decide what is undefined at start-up. ' +
        'Type-only imports count too: a type shared by two folders belongs in the lower one.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-deep-import',
      severity: 'error',
      comment: 'Import another folder through its index.ts (its public face), never a file behind it.',
      // The one exception is the table types (the three rules below).
      from: { path: '^src/([^/]+)/', pathNot: [TABLES, SCHEMA] },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'schema-takes-table-types-only',
      severity: 'error',
      comment:
        "db/schema.ts composes the domains' table types (<domain>/*.table.ts) into kysely's Database: " +
        'type-only imports of those files and nothing else of a domain, so db never loads a domain at run time.',
      from: { path: SCHEMA },
      to: { path: '^src/', pathNot: ['^src/db/', TABLES] },
    },
    {
      name: 'schema-table-imports-are-type-only',
      severity: 'error',
      comment: 'db/schema.ts imports the table files with `import type` / `export type` only.',
      from: { path: SCHEMA },
      to: { path: TABLES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'table-types-are-leaves',
      severity: 'error',
      comment:
        'A *.table.ts file holds types only and imports nothing of ours but db/column-types.ts: ' +
        'through db/index.ts it would loop back to itself via db/schema.ts.',
      from: { path: TABLES },
      to: { path: '^src/', pathNot: '^src/db/column-types\\.ts$' },
    },
    {
      name: 'no-deep-import-from-root',
      severity: 'error',
      comment: 'src/main.ts imports each folder through its index.ts too.',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/', pathNot: '^src/[^/]+/index\\.ts$' },
    },
    {
      name: 'domain-not-up',
      severity: 'error',
      comment: 'Domains serve cli, web and the scheduler; they never import them (or src/main.ts).',
      from: { path: `^src/${DOMAINS}/` },
      to: { path: ENTRY },
    },
    {
      name: 'base-not-up',
      severity: 'error',
      comment: 'db and config are the bottom layer: they import no domain and no entry point (db/schema.ts: see above).',
      from: { path: '^src/(db|config)/', pathNot: SCHEMA },
      to: { path: '^src/', pathNot: '^src/(db|config)/' },
    },
    {
      name: 'config-is-bottom',
      severity: 'error',
      comment: 'config is read by everything, db included, so it imports nothing of ours but itself.',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'entry-not-sideways',
      severity: 'error',
      comment: 'web and the scheduler are peers under the CLI and src/main.ts: neither imports cli/ or src/main.ts.',
      from: { path: '^src/(web|scheduler)/' },
      to: { path: '^src/(main\\.ts$|cli/)' },
    },
    {
      name: 'web-scheduler-apart',
      severity: 'error',
      comment: 'web and the scheduler meet only in src/main.ts (and cli/), never in each other.',
      from: { path: '^src/(web|scheduler)/' },
      to: { path: '^src/(web|scheduler)/', pathNot: '^src/$1/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (they tie the folders together at compile time).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    exclude: { path: '(^|/)node_modules/' },
  },
};
