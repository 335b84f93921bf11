import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeText, greetingFor, personalise, renderConfirmation, renderEdition, truncate } from '../../src/render/index.js';
import { cleanName } from '../../src/subscribers/subscriber-input.js';
import { escapeHtml as escapePage } from '../../src/web/pages/html.js';
import { preferencesPage } from '../../src/web/pages/preferences.page.js';
import { unsubscribePage } from '../../src/web/pages/unsubscribe.page.js';
import { testConfig } from '../helpers/config.js';
import { fixtureStory } from '../helpers/stories.js';

/**
 * Reader names are whatever a stranger typed into a form: HTML, emoji, right-to-left overrides. They
 * are cleaned once on the way in (cleanName) and escaped wherever they are shown: the digest greeting
 * (personalise), the confirmation email and the preferences page. Nothing in a name becomes markup,
 * reorders the text around it, or leaves half a character behind.
 */
const config = testConfig({ PUBLIC_URL: 'https://digest.example.com', SITE_NAME: 'The Daily' });
const reader = (name: string | null) => ({
  name,
  unsubscribeUrl: 'https://digest.example.com/u/token-1',
  preferencesUrl: 'https://digest.example.com/p/token-1',
});
const rendered = await renderEdition({
  date: '2026-11-26',
  site: { name: 'The Daily', postalAddress: '1 Main Street' },
  publicUrl: 'https://digest.example.com',
  stories: [fixtureStory()],
  blogs: [],
});

const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const HOSTILE_NAMES = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "Ann' onmouseover='alert(1)",
  '</title><style>body{display:none}</style>',
  '%%unsubscribe_url%% {{confirmUrl}}',
  'Zoë 👩🏽‍💻 Ünal',
  '\u202eevil.exe\u202c',
  'Admin\u2066 \u2069of the site',
  'محمد عبد الله',
  'a\r\nBcc: victim@example.com',
  '\u0000\u0007\u001b[31mred',
];

/** Names as an attacker would try them: fragments of markup, template syntax, controls, emoji and bidi marks. */
const hostileName = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<',
        '>',
        '"',
        "'",
        '&',
        '`',
        '%%',
        '{{',
        '}}',
        '<script>',
        '</b>',
        'javascript:',
        '\r',
        '\n',
        '\u0000',
        '\u0085',
        '\u202e',
        '\u202d',
        '\u2066',
        '\u2069',
        '\u200f',
        '😀',
        '👩🏽‍💻',
        'é',
        'ש',
        ' ',
      ),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('hostile reader names', () => {
  it('cleanName leaves no controls, no bidi overrides, at most 100 characters and no half emoji', () => {
    fc.assert(
      fc.property(fc.oneof(hostileName, fc.string({ unit: 'grapheme', maxLength: 300 })), (input) => {
        const name = cleanName(input);
        if (name === null) return;
        expect(name).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        expect(name).not.toMatch(BIDI);
        expect(name.length).toBeLessThanOrEqual(100);
        expect(name).not.toMatch(/[\ud800-\udbff]$/);
        expect(name).toBe(name.trim());
      }),
      { numRuns: 2000 },
    );
    // The bug this caught: 99 letters and an emoji were cut inside the emoji's surrogate pair.
    expect(cleanName(`${'a'.repeat(99)}😀`)).toBe('a'.repeat(99));
    expect(cleanName('\u202eevil.exe')).toBe('evil.exe');
    expect(cleanName('محمد عبد الله')).toBe('محمد عبد الله');
  });

  it('the greeting cuts long names between characters, never inside an emoji', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 50, maxLength: 120 }), (name) => {
        const cut = truncate(name, 60);
        expect(cut.length).toBeLessThanOrEqual(60);
        expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
        expect(greetingFor(name)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      }),
      { numRuns: 1000 },
    );
    expect(greetingFor(`${'b'.repeat(58)}😀😀😀`)).toBe(`Hello ${'b'.repeat(58)}…,`);
  });

  it('a personalised digest shows any name as text: removing it leaves exactly the neutral copy', () => {
    const neutral = personalise(rendered, reader('NAME'));
    const greet = (name: string | null) => greetingFor(name);
    fc.assert(
      fc.property(hostileName, (input) => {
        const name = cleanName(`Qx ${input} xQ`);
        const p = personalise(rendered, reader(name));
        // The only difference from a reader called NAME is the (escaped) greeting: no markup, no
        // forged link, nothing unclosed that could reach the rest of the email.
        expect(p.html.split(escapeHtml(greet(name))).join(escapeHtml(greet('NAME')))).toBe(neutral.html);
        expect(p.text.split(escapeText(greet(name))).join(greet('NAME'))).toBe(neutral.text);
        expect(p.html).not.toMatch(BIDI);
        expect(p.text).not.toMatch(BIDI);
      }),
      { numRuns: 300 },
    );
  });

  it('fixed cases: escaped in the digest, the confirmation email and the preferences and unsubscribe pages', async () => {
    const confirmFor = (name: string | null) =>
      renderConfirmation({ site: config.site, publicUrl: config.publicUrl, confirmUrl: 'https://digest.example.com/confirm/t', name });
    const prefsFor = (name: string | null, email: string) =>
      preferencesPage(config, {
        token: 'tok',
        now: new Date('2026-11-26T03:00:00Z'),
        unsubscribeUrl: 'https://digest.example.com/u/tok',
        view: { email, name, status: 'active', sections: ['stories'], frequency: 'daily', weekday: null, send_hour: null, timezone: null },
      }).value;
    const neutralConfirm = await confirmFor('NAME');
    const neutralPrefs = prefsFor('NAME', 'reader@example.com');
    for (const input of HOSTILE_NAMES) {
      const name = cleanName(input);
      expect(name, input).not.toBeNull();
      const confirm = await confirmFor(name);
      expect(confirm.html.split(escapeHtml(`Hello ${name},`)).join('Hello NAME,'), input).toBe(neutralConfirm.html);
      expect(confirm.text.split(escapeText(`Hello ${name},`)).join('Hello NAME,'), input).toBe(neutralConfirm.text);
      expect(confirm.subject).toBe(neutralConfirm.subject);
      expect(
        prefsFor(name, 'reader@example.com')
          .split(`value="${escapePage(name!)}"`)
          .join('value="NAME"'),
        input,
      ).toBe(neutralPrefs);
    }
    // A quoted local part is a valid address that can carry markup: shown as text on the pages.
    const quoted = '"<b>x</b>"@example.com';
    expect(prefsFor('NAME', quoted).split(escapePage(quoted)).join('reader@example.com')).toBe(neutralPrefs);
    const unsub = (email: string) =>
      unsubscribePage(config, {
        token: 'tok',
        email,
        preferencesUrl: 'https://digest.example.com/p/tok',
        status: 'active',
        frequency: 'daily',
      }).value;
    expect(unsub(quoted).split(escapePage(quoted)).join('reader@example.com')).toBe(unsub('reader@example.com'));

    const zoe = personalise(rendered, reader(cleanName('Zoë 👩🏽‍💻 Ünal')));
    expect(zoe.html).toContain('Hello Zoë 👩🏽‍💻 Ünal,');
    expect(zoe.text).toContain('Hello Zoë 👩🏽‍💻 Ünal,');
    expect(personalise(rendered, reader(cleanName('محمد عبد الله'))).text).toContain('Hello محمد عبد الله,');
    expect(personalise(rendered, reader(cleanName('<script>alert(1)</script>'))).html).toContain(
      'Hello &lt;script&gt;alert(1)&lt;/script&gt;,',
    );
    expect(personalise(rendered, reader(cleanName('a\r\nBcc: victim@example.com'))).text).toContain('Hello a Bcc: victim@example.com,');
  });
});
