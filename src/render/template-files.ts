import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { compileTemplate, type CompiledTemplate } from './template.js';
import { escapeHtml, escapeText } from './escape.js';

/** templates/ at the package root: operators restyle or replace these files without touching src/. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export interface TemplatePair {
  /** Fills the MJML source (HTML-escaped values); MJML still has to run on the result. */
  readonly mjml: CompiledTemplate;
  /** Fills the plain-text part (values as text). */
  readonly text: CompiledTemplate;
}

const cache = new Map<string, TemplatePair>();

function partials(dir: string, ext: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of readdirSync(join(dir, 'partials'))) {
    if (file.endsWith(ext)) out[file.slice(0, -ext.length)] = readFileSync(join(dir, 'partials', file), 'utf8');
  }
  return out;
}

/** `templates/<name>.mjml` and `templates/<name>.txt`, read and compiled once per process. */
export function loadTemplates(name: 'digest' | 'confirm' | 'notice', dir: string = TEMPLATES_DIR): TemplatePair {
  const key = `${dir}\0${name}`;
  let pair = cache.get(key);
  if (!pair) {
    pair = {
      mjml: compileTemplate(readFileSync(join(dir, `${name}.mjml`), 'utf8'), {
        escape: escapeHtml,
        partials: partials(dir, '.mjml'),
        name: `${name}.mjml`,
      }),
      text: compileTemplate(readFileSync(join(dir, `${name}.txt`), 'utf8'), {
        escape: escapeText,
        partials: partials(dir, '.txt'),
        name: `${name}.txt`,
      }),
    };
    cache.set(key, pair);
  }
  return pair;
}
