import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMessage, personalise, renderEdition } from '../../src/render/index.js';
import { fixtureStory, referenceArticle } from '../helpers/stories.js';

const rendered = await renderEdition({
  date: '2026-11-26',
  site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
  publicUrl: 'https://digest.example.com',
  stories: [referenceArticle(), fixtureStory()],
  blogs: [],
});
// As long as a real token URL: long enough that MailComposer would fold it at 76 columns.
const unsubscribeUrl = `https://digest.example.com/u/${'T'.repeat(90)}`;

async function build() {
  const parts = personalise(rendered, { name: 'Ann', unsubscribeUrl, preferencesUrl: 'https://digest.example.com/p/x' });
  const raw = await composeMessage({
    from: 'The Morning Post <digest@example.com>',
    to: { name: 'Ann Example', address: 'ann@example.com' },
    subject: rendered.subject,
    html: parts.html,
    text: parts.text,
    messageId: '<edition-7.subscriber-42@digest.example.com>',
    date: new Date('2026-11-26T06:00:00Z'),
    listUnsubscribe: { url: unsubscribeUrl, mailto: 'mailto:unsubscribe@example.com?subject=unsubscribe' },
    headers: { 'List-Id': 'The Morning Post <daily.digest.example.com>' },
  });
  return { raw, parts, parsed: await simpleParser(raw) };
}

describe('composeMessage', () => {
  it('builds multipart/alternative with the text and the HTML part', async () => {
    const { raw, parsed, parts } = await build();
    expect(raw.toString()).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(parsed.text).toBe(parts.text);
    expect(parsed.html).toBe(parts.html);
    expect(parsed.subject).toBe(rendered.subject);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : undefined).toBe('ann@example.com');
  });

  it('carries the given Date and Message-ID', async () => {
    const { parsed } = await build();
    expect(parsed.messageId).toBe('<edition-7.subscriber-42@digest.example.com>');
    expect(parsed.date?.toISOString()).toBe('2026-11-26T06:00:00.000Z');
  });

  it('writes List-Unsubscribe and List-Unsubscribe-Post on one line each', async () => {
    const { parsed } = await build();
    const line = (key: string) => parsed.headerLines.filter((h) => h.key === key).map((h) => h.line);
    const lu = line('list-unsubscribe');
    expect(lu).toEqual([`List-Unsubscribe: <${unsubscribeUrl}>, <mailto:unsubscribe@example.com?subject=unsubscribe>`]);
    expect(lu[0]!.length).toBeGreaterThan(78);
    expect(lu[0]).not.toMatch(/\r|\n/);
    expect(line('list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
  });

  it('refuses header values that would inject or break the headers', async () => {
    const base = { from: 'a@example.com', to: 'b@example.com', subject: 's', html: '<p>x</p>', text: 'x', messageId: '<a@b>' };
    // CR/LF and '>' in a URL are percent-encoded by URL parsing: the header stays one line.
    const raw = (await composeMessage({ ...base, listUnsubscribe: { url: 'https://x.example/u/a>\r\nBcc: evil@x' } })).toString();
    expect(raw).not.toMatch(/^Bcc:/im);
    expect(raw).toContain('List-Unsubscribe: <https://x.example/u/a%3EBcc:%20evil@x>\r\n');
    await expect(composeMessage({ ...base, listUnsubscribe: { url: 'javascript:x' } })).rejects.toThrow(/http/);
    await expect(composeMessage({ ...base, messageId: 'no-brackets', listUnsubscribe: { url: 'https://x.example/u/a' } })).rejects.toThrow(
      /Message-ID/,
    );
    await expect(
      composeMessage({ ...base, headers: { 'X-A': 'a\r\nBcc: e@x' }, listUnsubscribe: { url: 'https://x.example/u/a' } }),
    ).rejects.toThrow(/one line/);
  });
});
