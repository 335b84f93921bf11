import fc from 'fast-check';
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  compileMessageTemplate,
  composeMessage,
  feedbackId,
  personalise,
  renderEdition,
  type BulkMail,
  type TemplateReader,
} from '../../src/render/index.js';
import { fixtureStory, referenceArticle } from '../helpers/stories.js';

const rendered = await renderEdition({
  date: '2026-11-26',
  site: { name: 'The Morning Post · Früh', postalAddress: '1 Main Street' },
  publicUrl: 'https://digest.example.com',
  stories: [
    referenceArticle(),
    fixtureStory({
      title: 'Ünïcode headline = “quoted” 🚀',
      summary: 'Teaser with = signs and trailing spaces   \nand a line. '.repeat(12),
    }),
  ],
  blogs: [fixtureStory({ kind: 'blog' })],
});
const from = 'The Morning Post <digest@example.com>';
const list: BulkMail = {
  listId: { name: 'The Morning Post · Früh, "daily"', id: 'digest.example.com' },
  feedbackId: feedbackId(7, 'daily', '0123456789abcdef'),
};
const template = await compileMessageTemplate({ from, subject: rendered.subject, html: rendered.html, text: rendered.text, list });

const HOSTILE_NAMES = [
  'Ann',
  null,
  'Zoë "Q" <zoe@evil.example>',
  '=?utf-8?q?evil?= \r\nBcc: victim@example.com',
  `${'a'.repeat(120)} ü & <b>bold</b>`,
  '%%unsubscribe_url%% %%greeting%%',
  '\u202Eevil\u202C 👩‍👩‍👧 名前',
  '--',
  ' ',
];

function reader(name: string | null, i: number): TemplateReader {
  return {
    name,
    unsubscribeUrl: `https://digest.example.com/u/${'T'.repeat(90)}${i}`,
    preferencesUrl: `https://digest.example.com/p/${i}`,
    to: name ? { name, address: `reader${i}@example.com` } : `reader${i}@example.com`,
    messageId: `<7.${i}@digest.example.com>`,
    date: new Date('2026-11-26T06:00:00Z'),
  };
}

/** The same reader's copy built the slow way, by composeMessage(): what a spliced copy must parse as. */
async function viaComposer(r: TemplateReader, edition: { subject: string; html: string; text: string } = rendered): Promise<Buffer> {
  const parts = personalise(edition, r);
  return composeMessage({
    from,
    to: r.to,
    subject: edition.subject,
    html: parts.html,
    text: parts.text,
    messageId: r.messageId,
    date: r.date,
    listUnsubscribe: { url: r.unsubscribeUrl },
    list,
  });
}

function essentials(m: ParsedMail) {
  return {
    text: m.text,
    html: m.html,
    subject: m.subject,
    from: m.from?.value,
    to: m.to && !Array.isArray(m.to) ? m.to.value : m.to,
    messageId: m.messageId,
    date: m.date?.toISOString(),
    contentType: m.headers.get('content-type') && (m.headers.get('content-type') as { value: string }).value,
    list: m.headerLines.filter((h) => h.key.startsWith('list-')).map((h) => h.line),
    bulk: ['list', 'feedback-id', 'auto-submitted', 'precedence', 'x-auto-response-suppress'].map((k) => m.headers.get(k)),
  };
}

function decodeQWords(s: string): string {
  return s.replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_, q: string) => {
    const bytes = q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf-8');
  });
}

describe('compileMessageTemplate', () => {
  it('splices a copy that parses exactly like composeMessage() for the same reader, hostile names included', async () => {
    for (const [i, name] of HOSTILE_NAMES.entries()) {
      const r = reader(name, i);
      const spliced = template(r);
      expect(spliced, `name ${JSON.stringify(name)}`).not.toBeNull();
      expect(essentials(await simpleParser(spliced!))).toEqual(essentials(await simpleParser(await viaComposer(r))));
    }
  });

  it('keeps every line within 998 octets and List-Unsubscribe on one line', async () => {
    const raw = template(reader('Ann', 1))!.toString('latin1');
    expect(Math.max(...raw.split('\r\n').map((l) => l.length))).toBeLessThanOrEqual(998);
    expect(raw).not.toMatch(/[^\r]\n/);
    expect(raw).toMatch(/^List-Unsubscribe: <https:\/\/digest\.example\.com\/u\/T{90}1>$/m);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(raw).not.toMatch(/%%[a-z_]+%%/);
  });

  it('writes the bulk-mail headers once, List-Id with its id outside the encoded name', async () => {
    const parsed = await simpleParser(template(reader('Ann', 1))!);
    // mailparser leaves the encoded words of the name as they are: decode them here (RFC 2047 Q).
    const listId = (parsed.headers.get('list') as { id: { name: string; id: string } }).id;
    expect(listId.id).toBe('digest.example.com');
    expect(decodeQWords(listId.name)).toBe('The Morning Post · Früh, "daily"');
    expect(parsed.headers.get('feedback-id')).toBe('7:daily:digest:0123456789abcdef');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.get('precedence')).toBe('bulk');
    const raw = template(reader('Ann', 1))!.toString('latin1');
    expect(raw).toMatch(/^List-Id: [^\r]*(\r\n [^\r]*)* <digest\.example\.com>\r\n/im);
    expect(raw.match(/^Feedback-ID: /gm)).toHaveLength(1);
  });

  it('refuses a reader whose values would contain the multipart boundary, so the caller composes that copy', async () => {
    const raw = template(reader('Ann', 1))!.toString('latin1');
    const boundary = /boundary="([^"]+)"/.exec(raw)![1]!;
    expect(template(reader(boundary.slice(0, 60), 2))).toBeNull();
  });

  it('never starts a line with a dot, so SMTP needs no dot-stuffing, and the text reads back the same', async () => {
    // Text and names full of dots at every position a wrap can put at a line's start.
    const dotty = fc.string({ unit: fc.constantFrom('.', 'a', ' ', '\n', 'ü', '=', '..'), maxLength: 400 });
    await fc.assert(
      fc.asyncProperty(dotty, dotty, async (body, name) => {
        const edition = { subject: 'Dots', html: `<p>${body}</p>%%greeting%%`, text: `${body}\n%%greeting%%` };
        const t = await compileMessageTemplate({ from, ...edition, list });
        const r = reader(name.trim() ? name : '.', 3);
        const raw = t(r);
        if (raw === null) return;
        expect(raw.toString('latin1')).not.toMatch(/(^|\n)\./);
        const parsed = await simpleParser(raw);
        const composed = await simpleParser(await viaComposer(r, edition));
        expect(parsed.text).toBe(composed.text);
        expect(parsed.html).toBe(composed.html);
      }),
      { numRuns: 60 },
    );
  });
});
