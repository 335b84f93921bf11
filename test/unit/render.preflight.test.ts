import { describe, expect, it } from 'vitest';
import {
  checkMessage,
  composeMessage,
  describePreflight,
  HTML_BUDGET_BYTES,
  personalise,
  preflightEdition,
  renderEdition,
  type MessageToCheck,
} from '../../src/render/index.js';
import { fixtureStory, referenceArticle, worstCaseStories } from '../helpers/stories.js';

const publicUrl = 'https://digest.example.com';
const rendered = await renderEdition({
  date: '2026-11-26',
  site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
  publicUrl,
  stories: [referenceArticle(), fixtureStory({ image_url: 'https://img.example.com/a.jpg' })],
  blogs: [fixtureStory({ kind: 'blog', url: 'https://blog.example.org/p' })],
});
const unsubscribeUrl = `${publicUrl}/u/abcdefghijklmnop`;

async function goodMessage(): Promise<MessageToCheck> {
  const parts = personalise(rendered, { name: 'Ann', unsubscribeUrl, preferencesUrl: `${publicUrl}/p/abcdefghijklmnop` });
  const raw = await composeMessage({
    from: 'd@example.com',
    to: 'a@example.com',
    subject: rendered.subject,
    ...parts,
    messageId: '<1@example.com>',
    listUnsubscribe: { url: unsubscribeUrl },
  });
  return { subject: rendered.subject, ...parts, unsubscribeUrl, raw, publicUrl, allowedHosts: rendered.linkHosts };
}

const codes = (m: MessageToCheck) => checkMessage(m).problems.map((p) => p.code);

describe('preflight', () => {
  it('passes a rendered, personalised, composed edition', async () => {
    const report = await preflightEdition(rendered, { publicUrl, from: 'd@example.com' });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(describePreflight(report)).toMatch(/^preflight ok: HTML \d+\.\d KB of 102 KB/);
    expect(checkMessage(await goodMessage()).ok).toBe(true);
  });

  it('passes the worst-case 15-story edition', async () => {
    const worst = await renderEdition({
      date: '2026-11-26',
      site: { name: 'x', postalAddress: '' },
      publicUrl,
      stories: worstCaseStories(10, 'story'),
      blogs: worstCaseStories(5, 'blog'),
    });
    expect((await preflightEdition(worst, { publicUrl, from: 'd@example.com' })).problems).toEqual([]);
  });

  it('stops HTML over the budget', async () => {
    const m = await goodMessage();
    expect(codes({ ...m, html: m.html + ' '.repeat(HTML_BUDGET_BYTES) })).toContain('html_too_large');
  });

  it('stops a missing text part', async () => {
    expect(codes({ ...(await goodMessage()), text: '' })).toContain('text_missing');
  });

  it('stops links that are relative, not http(s), or point at a stranger', async () => {
    const m = await goodMessage();
    expect(codes({ ...m, html: m.html + '<a href="/relative">x</a>' })).toContain('link_not_http');
    expect(codes({ ...m, html: m.html + '<a href="javascript:alert(1)">x</a>' })).toContain('link_not_http');
    expect(codes({ ...m, html: m.html + '<img src="https://tracker.evil.example/p.gif">' })).toContain('link_foreign_host');
    expect(codes({ ...m, text: m.text + '\nhttps://evil.example/x\n' })).toContain('link_foreign_host');
  });

  it('stops an unsubscribe URL that is not PUBLIC_URL/u/TOKEN or is missing from a part', async () => {
    const m = await goodMessage();
    expect(codes({ ...m, unsubscribeUrl: 'https://elsewhere.example/u/abcdefghijk' })).toContain('unsubscribe_url');
    expect(codes({ ...m, text: m.text.split(unsubscribeUrl).join('') })).toContain('unsubscribe_missing');
  });

  it('stops folded, missing or wrong List-Unsubscribe headers', async () => {
    const m = await goodMessage();
    const raw = m.raw!.toString();
    const folded = raw.replace(`List-Unsubscribe: <${unsubscribeUrl}>`, `List-Unsubscribe:\r\n <${unsubscribeUrl}>`);
    expect(folded).not.toBe(raw);
    expect(codes({ ...m, raw: folded })).toContain('list_unsubscribe');
    expect(codes({ ...m, raw: raw.replace(/^List-Unsubscribe-Post:.*\r\n/m, '') })).toContain('list_unsubscribe');
    expect(codes({ ...m, raw: raw.replace('List-Unsubscribe=One-Click', 'One-Click') })).toContain('list_unsubscribe');
  });

  it('stops leftover placeholders', async () => {
    const m = await goodMessage();
    expect(codes({ ...m, html: m.html + '%%greeting%%' })).toContain('placeholder_left');
    expect(codes({ ...m, text: m.text + '%%site_name%%' })).toContain('placeholder_left'); // a template's typo: no such marker
    const unfilled = checkMessage({ ...m, html: rendered.html, text: rendered.text });
    expect(unfilled.ok).toBe(false);
    expect(describePreflight(unfilled)).toMatch(/preflight placeholder_left: HTML still holds template placeholders: %%greeting%%/);
  });

  it('passes stories whose text holds template syntax, markers and addresses: story text is data', async () => {
    const vue = await renderEdition({
      date: '2026-11-26',
      site: { name: 'The Morning Post', postalAddress: '' },
      publicUrl,
      stories: [
        fixtureStory({
          title: 'Getting started with Vue: the {{ message }} syntax',
          summary: 'Partials {{> x}}, {{#each items}} and %%unsubscribe_url%%; code at https://github.com/vuejs/core.',
        }),
      ],
      blogs: [
        fixtureStory({
          kind: 'blog',
          url: 'https://blog.example.org/q',
          title: '{{{raw}}} and %%greeting%%',
          byline: 'git+ssh://git@host/repo {{ author }}',
        }),
      ],
    });
    const report = await preflightEdition(vue, { publicUrl, from: 'd@example.com' });
    expect(report.problems).toEqual([]);
    expect(vue.subject).toBe('Getting started with Vue: the {{ message }} syntax · Thu 26 Nov');
    expect(vue.text).toContain('1. Getting started with Vue: the {{ message }} syntax');
    expect(vue.html).toContain('>Getting started with Vue: the {{ message }} syntax</a>');
    expect(vue.html).toContain(
      'Partials {{&gt; x}}, {{#each items}} and %&#37;unsubscribe_url%&#37;; code at https://github.com/vuejs/core.',
    );
  });

  it('still holds the links the templates make to the rules', async () => {
    const m = await goodMessage();
    const quotedLinks = ['https://github.com/vuejs/core'];
    expect(codes({ ...m, text: m.text + '\nhttps://github.com/vuejs/core\n', quotedLinks })).toEqual([]);
    expect(codes({ ...m, text: m.text + '\nhttps://evil.example/x\n', quotedLinks })).toContain('link_foreign_host');
    expect(codes({ ...m, html: m.html + '<a href="https://github.com/vuejs/core">x</a>', quotedLinks })).toContain('link_foreign_host');
  });
});
