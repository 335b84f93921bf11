import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/render/index.js';
import { compileTemplate, TemplateError } from '../../src/render/template.js';

const html = (src: string, data: object, partials?: Record<string, string>) => compileTemplate(src, { escape: escapeHtml, partials })(data);

describe('template language', () => {
  it.each([
    ['{{a}}', { a: '<b>' }, '&lt;b&gt;'],
    ['{{{a}}}', { a: '<b>' }, '<b>'],
    ['{{a.b}}', { a: { b: 'x' } }, 'x'],
    ['{{missing}}!', {}, '!'],
    ['{{#list}}[{{.}}]{{/list}}', { list: ['a', 'b'] }, '[a][b]'],
    ['{{#list}}{{n}}{{/list}}', { list: [{ n: 1 }, { n: 2 }] }, '12'],
    ['{{#list}}{{outer}}{{/list}}', { list: [{}], outer: 'o' }, 'o'],
    ['{{^list}}none{{/list}}', { list: [] }, 'none'],
    ['{{#flag}}yes{{/flag}}{{^flag}}no{{/flag}}', { flag: false }, 'no'],
    ['{{! comment }}x', {}, 'x'],
    ['{{> p}}', { a: 'A' }, '<i>A</i>'],
    ['{{a}}', { a: '100%% sure' }, '100%&#37; sure'],
  ])('%s', (src, data, out) => {
    expect(html(src, data, { p: '<i>{{a}}</i>' })).toBe(out);
  });

  it('reports unbalanced sections and unknown partials', () => {
    expect(() => html('{{#a}}', {})).toThrow(TemplateError);
    expect(() => html('{{/a}}', {})).toThrow(TemplateError);
    expect(() => html('{{> nope}}', {})).toThrow(/no partial/);
  });

  it('refuses a stray {{ that no tag consumed, so no template can leave one in a rendered part', () => {
    expect(() => html('<p>{{ name }</p>', {})).toThrow(/"\{\{ name \}<\/p>" is not a tag/);
    expect(() => html('{{a}} and {{b} c}}', {})).toThrow(TemplateError);
    expect(() => html('{{! quoting {{a}} in a comment }}', {})).toThrow(/tags do not nest/);
    expect(() => html('{{> p}}', {}, { p: 'x {{' })).toThrow(TemplateError);
    // A value is data: it is never parsed, whatever braces it holds.
    expect(html('{{a}}', { a: '{{ message }} {{> x}}' })).toBe('{{ message }} {{&gt; x}}');
  });
});
