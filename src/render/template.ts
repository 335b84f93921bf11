/**
 * A small logic-less template language (a Mustache subset) for templates/: enough for an operator to
 * restyle the emails without touching src/, and small enough to read in one sitting.
 *
 *   {{name}}      value, escaped for the template's mode (HTML: entities; text: as is)
 *   {{{name}}}    value inserted raw (only for values the code has already made safe)
 *   {{#name}}…{{/name}}  repeat for each item of a list, or once when the value is truthy
 *   {{^name}}…{{/name}}  once when the value is falsy or an empty list
 *   {{> name}}    a partial (templates/partials/name.*)
 *   {{! note}}    a comment
 * Names are dotted paths looked up from the innermost section outwards; `.` is the current item.
 * Every `{{` in a template opens one of these tags: a stray one (`{{ name }`, a comment quoting a
 * tag) is refused when the template is compiled. So no `{{` in a rendered part can come from a
 * template, and preflight need not look for leftovers of them; story text may say `{{ anything }}`.
 *
 * Rejected: handlebars or mustache.js as a dependency; this is ~100 lines and we need our own
 * escaping anyway (placeholder markers must never be forged from story text).
 */
export type Escape = (value: string) => string;

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; raw: boolean }
  | { kind: 'section'; name: string; inverted: boolean; children: Node[] }
  | { kind: 'partial'; name: string };

export class TemplateError extends Error {
  readonly code = 'template_invalid';
}

const TAG = /\{\{(\{)?\s*([#^/>!]?)\s*([^}]*?)\s*\}?\}\}/g;

/** Template text between tags: it may not hold a `{{` that no tag consumed. */
function textNode(text: string, name: string): Node {
  const stray = text.indexOf('{{');
  if (stray >= 0) throw new TemplateError(`${name}: "${text.slice(stray, stray + 30)}" is not a tag (a stray "{{")`);
  return { kind: 'text', text };
}

export function parseTemplate(source: string, name = 'template'): Node[] {
  const root: Node[] = [];
  const stack: { name: string; children: Node[] }[] = [{ name: '', children: root }];
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    const top = stack[stack.length - 1]!;
    if (m.index > last) top.children.push(textNode(source.slice(last, m.index), name));
    last = m.index + m[0].length;
    const [, triple, sigil, tagName = ''] = m;
    // `{{! see {{x}} }}` ends at the first `}}`: the rest would reach the output as text.
    if (tagName.includes('{'))
      throw new TemplateError(`${name}: "${m[0].slice(0, 40)}" holds a "{" (tags do not nest, not even in a comment)`);
    if (sigil === '!') continue;
    if (sigil === '#' || sigil === '^') {
      const node: Node = { kind: 'section', name: tagName, inverted: sigil === '^', children: [] };
      top.children.push(node);
      stack.push({ name: tagName, children: node.children });
    } else if (sigil === '/') {
      if (stack.length === 1 || top.name !== tagName) {
        throw new TemplateError(`${name}: {{/${tagName}}} closes ${stack.length === 1 ? 'nothing' : `{{#${top.name}}}`}`);
      }
      stack.pop();
    } else if (sigil === '>') {
      top.children.push({ kind: 'partial', name: tagName });
    } else {
      top.children.push({ kind: 'var', name: tagName, raw: Boolean(triple) });
    }
  }
  if (stack.length > 1) throw new TemplateError(`${name}: {{#${stack[stack.length - 1]!.name}}} is never closed`);
  if (last < source.length) root.push(textNode(source.slice(last), name));
  return root;
}

function lookup(stack: readonly unknown[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1];
  const [head, ...rest] = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    const scope = stack[i];
    if (scope && typeof scope === 'object' && head! in scope) {
      let value: unknown = (scope as Record<string, unknown>)[head!];
      for (const key of rest) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      return value;
    }
  }
  return undefined;
}

export type CompiledTemplate = (data: object) => string;

/** Compiles a template once; partials are resolved (and parsed) at compile time. */
export function compileTemplate(
  source: string,
  options: { escape: Escape; partials?: Readonly<Record<string, string>>; name?: string },
): CompiledTemplate {
  const parsedPartials = new Map<string, Node[]>();
  const partial = (name: string): Node[] => {
    let nodes = parsedPartials.get(name);
    if (!nodes) {
      const text = options.partials?.[name];
      if (text === undefined) throw new TemplateError(`${options.name ?? 'template'}: no partial named "${name}"`);
      nodes = parseTemplate(text, name);
      parsedPartials.set(name, nodes);
    }
    return nodes;
  };
  const nodes = parseTemplate(source, options.name);
  const render = (list: readonly Node[], stack: unknown[], out: string[], depth: number): void => {
    if (depth > 20) throw new TemplateError(`${options.name ?? 'template'}: partials nest too deep`);
    for (const node of list) {
      if (node.kind === 'text') out.push(node.text);
      else if (node.kind === 'var') {
        const value = lookup(stack, node.name);
        if (value === undefined || value === null || value === false) continue;
        const s = String(value);
        out.push(node.raw ? s : options.escape(s));
      } else if (node.kind === 'partial') render(partial(node.name), stack, out, depth + 1);
      else {
        const value = lookup(stack, node.name);
        const items = Array.isArray(value) ? value : value ? [value] : [];
        if (node.inverted) {
          if (items.length === 0) render(node.children, stack, out, depth);
        } else {
          for (const item of items) render(node.children, [...stack, item], out, depth);
        }
      }
    }
  };
  return (data: object) => {
    const out: string[] = [];
    render(nodes, [data], out, 0);
    return out.join('');
  };
}
