import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSubscriberCsv } from '../../src/subscribers/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/subscribers/${name}`, import.meta.url), 'utf8');

describe('parsing subscriber CSV', () => {
  it('reads our own columns through a BOM, CRLF and quoted commas, naming each bad line by number', () => {
    const r = parseSubscriberCsv(fixture('own-with-bom-crlf.csv'));
    expect(r.rows).toEqual([
      { line: 2, email: 'ada@example.com', name: 'Ada "the Countess" Lovelace', timezone: 'Europe/London' },
      { line: 4, email: 'bob@example.com', name: 'Bob', timezone: null },
      { line: 7, email: 'carol@example.com', name: 'Carol', timezone: 'America/New_York' },
    ]);
    expect(r.duplicates).toBe(1);
    expect(r.problems.map((p) => p.line)).toEqual([3, 4, 8]); // line 8: the quoted field that spans lines 8–9
    expect(r.problems[0]!.message).toContain('not-an-address');
    expect(r.problems[1]!.message).toContain('Mars/Olympus');
    expect(r.problems[2]!.message).toContain('header characters');
  });

  it('takes a file without a header row as email,name[,timezone]', () => {
    const r = parseSubscriberCsv(fixture('no-header.csv'));
    expect(r.rows).toEqual([
      { line: 1, email: 'noheader@example.com', name: 'No Header', timezone: null },
      { line: 2, email: 'second@example.com', name: 'Second', timezone: 'Asia/Tokyo' },
    ]);
    expect(r.problems).toEqual([]);
  });

  it('imports a listmonk export as it is, leaving out blocklisted addresses', () => {
    const r = parseSubscriberCsv(fixture('listmonk-export.csv'));
    expect(r.rows).toEqual([{ line: 2, email: 'lena@example.org', name: 'Lena Listmonk', timezone: null }]);
    expect(r.problems).toEqual([{ line: 3, message: expect.stringContaining('blocklisted') }]);
  });

  it('imports a Mailchimp export as it is, joining first and last names', () => {
    const r = parseSubscriberCsv(fixture('mailchimp-export.csv'));
    expect(r.rows).toEqual([{ line: 2, email: 'mia@example.net', name: 'Mia Chimp', timezone: 'America/Chicago' }]);
    expect(r.problems).toEqual([]);
  });

  it('reports a header without an email column, and an unclosed quote, instead of guessing', () => {
    expect(parseSubscriberCsv('foo,bar\nx,y\n').problems[0]).toMatchObject({ line: 1, message: expect.stringContaining('email column') });
    const r = parseSubscriberCsv('email\na@example.com\n"b@example.com\nc@example.com\n');
    expect(r.rows.map((x) => x.email)).toEqual(['a@example.com']);
    expect(r.problems[0]!.message).toContain('unreadable CSV');
  });

  it('returns nothing for an empty file', () => {
    expect(parseSubscriberCsv('')).toEqual({ rows: [], problems: [], duplicates: 0 });
  });
});
