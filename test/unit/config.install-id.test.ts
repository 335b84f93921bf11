import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configProblems } from '../helpers/config.js';

const base = { SECRET: 'a-secret-of-enough-length', DATA_DIR: 'memory://' };

describe('the install id (in every Message-ID and Feedback-ID)', () => {
  it('is 16 hex characters, the same in every process of one install', () => {
    const a = loadConfig(base).installId;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(loadConfig(base).installId).toBe(a);
    // The password, user and options of DATABASE_URL are not the database.
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://u:one@db.example:5432/digest' }).installId).toBe(
      loadConfig({ ...base, DATABASE_URL: 'postgres://v:two@DB.example/digest?sslmode=require' }).installId,
    );
  });

  it('differs between two SECRETs, and between two databases under one SECRET (a PGlite trial, then PostgreSQL; a staging copy)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 16, maxLength: 40 }), fc.string({ minLength: 16, maxLength: 40 }), (s1, s2) => {
        fc.pre(s1 !== s2 && s1.trim() !== '' && s2.trim() !== '');
        expect(loadConfig({ ...base, SECRET: s1 }).installId).not.toBe(loadConfig({ ...base, SECRET: s2 }).installId);
      }),
      { numRuns: 50 },
    );
    const ids = new Set(
      [
        undefined,
        'postgres://db.example/digest',
        'postgres://db.example/digest_staging',
        'postgres://staging.example/digest',
        'postgres://db.example:5433/digest',
      ].map((url) => loadConfig({ ...base, ...(url ? { DATABASE_URL: url } : {}) }).installId),
    );
    expect(ids.size).toBe(5);
  });
});

describe('LIST_ID', () => {
  it('defaults to the site name and digest.<PUBLIC_URL host>', () => {
    expect(loadConfig({ ...base, SITE_NAME: 'The Morning Post', PUBLIC_URL: 'https://News.Example.com/digest' }).email.listId).toEqual({
      name: 'The Morning Post',
      id: 'digest.news.example.com',
    });
    expect(loadConfig(base).email.listId).toEqual({ name: 'Daily Digest', id: 'digest.localhost' });
  });

  it('takes "Name <label.domain>" or a bare id', () => {
    expect(loadConfig({ ...base, LIST_ID: 'Café Ünïcode <morning.Example.com>' }).email.listId).toEqual({
      name: 'Café Ünïcode',
      id: 'morning.example.com',
    });
    expect(loadConfig({ ...base, LIST_ID: 'morning.example.com' }).email.listId).toEqual({ name: '', id: 'morning.example.com' });
  });

  it.each(['morning', 'Name <morning>', 'Name <a b.example.com>', 'Na<me <x.example.com>', '<>'])('refuses %j, naming LIST_ID', (value) => {
    const lines = configProblems({ ...base, LIST_ID: value });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: LIST_ID /);
  });
});
