import { type Config, ConfigError } from '../config/index.js';
import { type Node, parseTemplate, TemplateError } from './template.js';

/** What a subject may name: renderSubject's values. */
export const SUBJECT_VARIABLES = ['headline', 'date', 'isoDate', 'site', 'count'] as const;

/**
 * SUBJECT_TEMPLATE's problems, found when a command starts rather than when the first edition's
 * subject is rendered at six in the morning: a stray `{{`, an unclosed section, a partial (a subject
 * has none), or a name that is not one of SUBJECT_VARIABLES (a typo renders as nothing, silently).
 */
export function subjectTemplateProblems(template: string): string[] {
  let nodes: Node[];
  try {
    nodes = parseTemplate(template, 'SUBJECT_TEMPLATE');
  } catch (err) {
    if (err instanceof TemplateError) return [err.message];
    throw err;
  }
  const problems: string[] = [];
  const known = new Set<string>(SUBJECT_VARIABLES);
  const walk = (list: readonly Node[]): void => {
    for (const node of list) {
      if (node.kind === 'partial') problems.push(`SUBJECT_TEMPLATE: "{{> ${node.name}}}" is a partial; a subject has none`);
      else if (node.kind === 'var' || node.kind === 'section') {
        if (!known.has(node.name)) {
          problems.push(
            `SUBJECT_TEMPLATE: "${node.name}" is not a subject variable; use ${SUBJECT_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
          );
        }
        if (node.kind === 'section') walk(node.children);
      }
    }
  };
  walk(nodes);
  return problems;
}

/** Throws a ConfigError naming SUBJECT_TEMPLATE when the configured subject cannot render. */
export function checkRenderSettings(config: Config): void {
  const problems = subjectTemplateProblems(config.email.subjectTemplate);
  if (problems.length > 0) throw new ConfigError(problems.map((message) => ({ variable: 'SUBJECT_TEMPLATE', message })));
}
