import { describe, expect, it } from 'vitest';
import { html, raw } from '../../src/web/pages/html.js';

describe('the html tagged template', () => {
  it('escapes every interpolated value for element content and attributes', () => {
    const name = `"><script>alert('x')</script>&\``;
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</p>',
    );
  });

  it('nests without double escaping, joins arrays, and renders nothing for null, undefined and booleans', () => {
    const items = ['a&b', 'c'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${true}${0}`.value).toBe('<ul><li>a&amp;b</li><li>c</li></ul>0');
    expect(html`${raw('<b>ok</b>')}`.value).toBe('<b>ok</b>');
  });
});
