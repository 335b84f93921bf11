import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderSubject, SUBJECT_VARIABLES, subjectTemplateProblems } from '../../src/render/index.js';

/** SUBJECT_TEMPLATE is checked when a command starts, so a typo never reaches the 06:00 send. */
describe('SUBJECT_TEMPLATE check', () => {
  it('accepts the documented variables, sections of them, and the locales’ defaults', () => {
    expect(subjectTemplateProblems('{{site}}: {{headline}} (+{{count}} more) {{date}}')).toEqual([]);
    expect(subjectTemplateProblems('{{#count}}{{count}} stories{{/count}}{{^count}}Nothing new{{/count}}')).toEqual([]);
    expect(subjectTemplateProblems('Daily digest')).toEqual([]);
  });

  it('names a typo, a stray {{, an unclosed section and a partial', () => {
    expect(subjectTemplateProblems('{{headlin}} today')).toEqual([
      'SUBJECT_TEMPLATE: "headlin" is not a subject variable; use {{headline}}, {{date}}, {{isoDate}}, {{site}}, {{count}}',
    ]);
    expect(subjectTemplateProblems('News {{ headline')[0]).toMatch(/^SUBJECT_TEMPLATE: .*stray "\{\{"/);
    expect(subjectTemplateProblems('{{#count}}many')[0]).toMatch(/^SUBJECT_TEMPLATE: /);
    expect(subjectTemplateProblems('{{> footer}}')).toEqual(['SUBJECT_TEMPLATE: "{{> footer}}" is a partial; a subject has none']);
  });

  it('whatever a template holds, it either passes and renders, or is refused with a line naming the setting', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(...SUBJECT_VARIABLES).map((v) => `{{${v}}}`),
      fc.constantFrom('{{', '}}', '{{#count}}', '{{/count}}', '{{> x}}', '{{nope}}', '{{{site}}}'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const template = pieces.join('');
        const problems = subjectTemplateProblems(template);
        for (const p of problems) expect(p).toMatch(/^SUBJECT_TEMPLATE: /);
        if (problems.length === 0) {
          const subject = renderSubject(template, { headline: 'H', date: 'D', isoDate: '2026-11-30', site: 'S', count: 3 });
          expect(subject).not.toContain('{{');
        }
      }),
    );
  });
});
