import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.schema.js';

/**
 * .env.example is the settings' documentation (the README sends operators there): it must name every
 * variable the config reads, nothing it does not, and say of each what it does and its default.
 */
const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');
const ASSIGNMENT = /^([A-Z][A-Z0-9_]*)=/;

/** The comment lines above a variable, skipping the other assignments of its group (DKIM_*). */
function commentAbove(index: number): string {
  let i = index - 1;
  while (i >= 0 && ASSIGNMENT.test(lines[i]!)) i--;
  const comment: string[] = [];
  for (; i >= 0 && lines[i]!.startsWith('#') && !lines[i]!.startsWith('# ---'); i--) comment.unshift(lines[i]!);
  return comment.join('\n');
}

const documented = lines.flatMap((line, index) => {
  const m = ASSIGNMENT.exec(line);
  return m ? [{ name: m[1]!, index }] : [];
});

describe('.env.example against the config schema', () => {
  const read = Object.keys(envSchema.shape).sort();

  it('names every variable the config reads, and no other', () => {
    expect(documented.map((d) => d.name).sort()).toEqual(read);
  });

  it('is a working .env as it stands: its values are the schema defaults', () => {
    const text = lines.join('\n');
    const parsed = envSchema.safeParse(parseEnv(text));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data).toEqual(envSchema.parse({}));
  });

  it('names each once', () => {
    const names = documented.map((d) => d.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('comments every variable with what it does and its default', () => {
    for (const { name, index } of documented) {
      const comment = commentAbove(index);
      expect(comment, `${name} has no comment above it`).not.toBe('');
      expect(comment, `${name}'s comment states no default`).toMatch(/default/i);
    }
  });

  it('says what production requires of each variable production checks', () => {
    for (const name of ['SECRET', 'ADMIN_TOKEN', 'PUBLIC_URL', 'SMTP_URL', 'POSTAL_ADDRESS']) {
      const at = documented.find((d) => d.name === name)!;
      expect(commentAbove(at.index), name).toMatch(/Production: required/);
    }
  });

  it('tells the truth about an unset ADMIN_TOKEN: a one-time token outside production', () => {
    const comment = commentAbove(documented.find((d) => d.name === 'ADMIN_TOKEN')!.index);
    expect(comment).toMatch(/one-time token/);
    expect(comment).not.toMatch(/both are\s+#?\s*closed/);
  });
});
