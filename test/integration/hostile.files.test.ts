import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStories, loadDocument, MAX_FEED_BYTES } from '../../src/stories/index.js';
import { runDigest } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * Hostile files fed to the CLI as an operator would (`digest stories import`, `digest subscribers
 * import` as real processes on a PostgreSQL database of their own): each gets exit code 1 and a line
 * saying what is wrong, never a crash or a stack trace, and nothing from a refused file is stored.
 * Every file is generated in a temporary directory; the largest is the 100,000-row CSV (about 4 MB).
 */
const SECRET = 'hostile-files-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'digest-hostile-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const channel = (items: string) =>
  `<rss version="2.0"><channel><title>Feed</title><link>https://feed.example</link><description>d</description>${items}</channel></rss>`;
const item = (title: string, slug: string) =>
  `<item><title>${title}</title><link>https://feed.example/${slug}</link><description>Teaser of ${slug}</description><pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate></item>`;

let t: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  t = await createTestDatabase('postgres');
  env = { DATABASE_URL: t.url!, SECRET };
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const storyCount = async () =>
  (
    await t.db
      .selectFrom('stories')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;
const titles = async () => await t.db.selectFrom('stories').select(['url', 'title']).orderBy('url').execute();
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at |Aborted\(|RangeError|Maximum call stack/m);

describe('hostile feed files through digest stories import', () => {
  it('refuses a billion-laughs bomb, its parameter-entity form and an external-entity read, storing nothing', async () => {
    const before = await storyCount();
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`),
      ']>',
      channel(item('&lol9;', 'bomb')),
    ].join('\n');
    const parameter = `<?xml version="1.0"?><!DOCTYPE r [<!eNtItY % p "<!ENTITY x 'y'>"> %p;]>${channel(item('&x;', 'param'))}`;
    for (const [name, content] of [
      ['bomb.xml', laughs],
      ['param.xml', parameter],
    ] as const) {
      const r = await runDigest(['stories', 'import', file(name, content)], env);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${name}: feed declares XML entities`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      noStack(r.stderr);
    }
    // An external DTD is never fetched or read: the entity stays literal text, /etc/passwd stays put.
    const xxe = `<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file:///etc/passwd">${channel(item('Title &xxe; here', 'xxe'))}`;
    const r = await runDigest(['stories', 'import', file('xxe.xml', xxe)], env);
    expect(r.code, r.stderr).toBe(0);
    const stored = await titles();
    expect(stored.map((s) => s.title).join(' ')).not.toMatch(/root:/);
    expect(await storyCount()).toBe(before + 1);
  });

  it('refuses a file over the 5 MB limit before reading it, and a deeply nested one, with one line each', async () => {
    const before = await storyCount();
    const big = channel(Array.from({ length: Math.ceil(MAX_FEED_BYTES / 150) }, (_, i) => item(`Story ${i}`, `big-${i}`)).join(''));
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_FEED_BYTES);
    const huge = await runDigest(['stories', 'import', file('huge.xml', big)], env);
    expect(huge.code, huge.stderr).toBe(1);
    expect(huge.stderr).toMatch(/huge\.xml: file is \d+ bytes; the limit is 5242880/);
    noStack(huge.stderr);
    await expect(loadDocument(join(dir, 'huge.xml'))).rejects.toThrow(/the limit is/);

    const deep = channel(item('ok', 'deep') + '<x>'.repeat(400_000) + '</x>'.repeat(400_000));
    const nested = await runDigest(['stories', 'import', file('deep.xml', deep)], env);
    expect(nested.code).toBe(1);
    expect(nested.stderr).toMatch(/deep\.xml: /);
    noStack(nested.stderr);

    const jsonDeep = await runDigest(['stories', 'import', file('deep.json', '['.repeat(200_000) + ']'.repeat(200_000))], env);
    expect(jsonDeep.code).toBe(1);
    noStack(jsonDeep.stderr);
    expect(await storyCount()).toBe(before);
  });

  it('reads ISO-8859-1 and UTF-16 (with BOM) as declared, and survives a wrong or unknown declared charset', async () => {
    const latin1 = Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>${channel(item('Café naïve à Zürich', 'latin1'))}`, 'latin1');
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${channel(item('Łódź – 東京 😀', 'utf16'))}`, 'utf16le'),
    ]);
    // Says UTF-8, is Latin-1: the bad bytes become U+FFFD; nothing crashes and the item is kept.
    const lying = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${channel(item('Caf\u00e9 lie', 'lying'))}`, 'latin1');
    const unknown = Buffer.from(`<?xml version="1.0" encoding="x-no-such-charset"?>${channel(item('Unknown charset', 'unknown'))}`, 'utf8');
    for (const [name, bytes] of [
      ['latin1.xml', latin1],
      ['utf16.xml', utf16],
      ['lying.xml', lying],
      ['unknown.xml', unknown],
    ] as const) {
      const r = await runDigest(['stories', 'import', file(name, bytes)], env);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('1 new');
    }
    const byUrl = Object.fromEntries((await titles()).map((s) => [s.url, s.title]));
    expect(byUrl['https://feed.example/latin1']).toBe('Café naïve à Zürich');
    expect(byUrl['https://feed.example/utf16']).toBe('Łódź – 東京 😀');
    expect(byUrl['https://feed.example/lying']).toBe('Caf\ufffd lie');
    expect(byUrl['https://feed.example/unknown']).toBe('Unknown charset');

    // UTF-16 without a BOM cannot be told from binary: refused with a clear line, not garbage stored.
    const noBom = Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${channel(item('No BOM', 'nobom'))}`, 'utf16le');
    const r = await runDigest(['stories', 'import', file('nobom.xml', noBom)], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nobom\.xml: /);
    noStack(r.stderr);
    expect(byUrl['https://feed.example/nobom']).toBeUndefined();
  });

  it('keeps script out of stored stories and refuses javascript: links, through importStories too', async () => {
    const hostile = channel(
      `<item><title><![CDATA[<script>alert(1)</script>Real title]]></title><link>https://feed.example/script</link><description><![CDATA[<img src=x onerror=alert(1)><b>bold</b> text]]></description></item>` +
        `<item><title>Click me</title><link>javascript:alert(document.cookie)</link></item>`,
    );
    const r = await importStories(t.db, file('script.xml', hostile));
    expect(r.inserted).toBe(1);
    expect(r.problems).toEqual([expect.objectContaining({ index: 1, field: 'url', message: 'url must be an absolute http(s) URL' })]);
    const row = await t.db.selectFrom('stories').selectAll().where('url', '=', 'https://feed.example/script').executeTakeFirstOrThrow();
    expect(row.summary).toBe('bold text');
    expect(row.summary).not.toMatch(/<|onerror/);
    expect(await t.db.selectFrom('stories').select('url').where('url', 'like', 'javascript:%').execute()).toEqual([]);
  });
});

describe('hostile CSV files through digest subscribers import', () => {
  const subscriberCount = async () =>
    (
      await t.db
        .selectFrom('subscribers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;

  it('imports 100,000 rows with a BOM, CRLF and quoted commas in one bounded run, every row once', async () => {
    const rows = ['\ufeffemail,name,timezone'];
    for (let i = 0; i < 100_000; i++)
      rows.push(i % 10 === 0 ? `bulk${i}@example.com,"Last${i}, First",Europe/Paris` : `bulk${i}@example.com,Reader ${i},`);
    const path = file('bulk.csv', rows.join('\r\n') + '\r\n');
    const r = await runDigest(['subscribers', 'import', path], env, { timeoutMs: 180_000 });
    expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stdout).toContain('100000 new');
    const bulk = await t.db
      .selectFrom('subscribers')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('timezone').as('tz')])
      .where('email', 'like', 'bulk%')
      .executeTakeFirstOrThrow();
    expect(bulk).toEqual({ n: 100_000, tz: 10_000 });
    expect(
      (await t.db.selectFrom('subscribers').select('name').where('email', '=', 'bulk10@example.com').executeTakeFirstOrThrow()).name,
    ).toBe('Last10, First');
    // Importing the same file again adds nobody.
    const again = await runDigest(['subscribers', 'import', path], env, { timeoutMs: 180_000 });
    expect(again.stdout).toContain('0 new, 100000 merged');
    expect(await subscriberCount()).toBe(100_000);
  });

  it('rejects header-injection addresses, NUL bytes and broken quotes by line number, imports the rest, never crashes', async () => {
    const before = await subscriberCount();
    const csv = [
      'email,name',
      '"evil@example.com\r\nBcc: victim@example.com",Evil', // lines 2-3: a CR/LF inside a quoted cell
      'nul\u0000@example.com,Nul',
      '"=HYPERLINK(""http://evil.example"")@example.com",Formula',
      `${'x'.repeat(300)}@example.com,Long`,
      'ok1@example.com,"=cmd|\' /C calc\'!A0"',
      'ok2@example.com,"<script>alert(1)</script>"',
      'ok3@example.com,\u202eevil',
      'ok4@example.com,Before the broken line',
      'broken@example.com,"unclosed quote, which swallows the rest of the file as CSV must',
      'never@example.com,Inside the unclosed quote',
    ].join('\r\n');
    const r = await runDigest(['subscribers', 'import', file('hostile.csv', csv)], env);
    expect(r.code).toBe(1);
    noStack(r.stderr);
    // Each problem is one line: the file's CR/LF and NUL are shown escaped, never printed raw.
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => !/^ {2}(line \d+: |the other rows were imported)/.test(l))).toEqual([]);
    expect(r.stderr).not.toContain('\u0000');
    expect(r.stderr).toContain('line 2: "evil@example.com\\nBcc: victim@example.com" is not a valid address (header characters)');
    expect(r.stderr).toMatch(/line 1[12]: unreadable CSV: Quote Not Closed/);
    expect(r.stderr).toMatch(/line 4: .*not a valid address/);
    expect(r.stderr).toMatch(/line 5: .*not a valid address/);
    expect(r.stderr).toMatch(/line 6: .*too long/);
    const added = await t.db
      .selectFrom('subscribers')
      .select(['email', 'name'])
      .where('email', 'like', 'ok%@example.com')
      .orderBy('email')
      .execute();
    expect(added).toEqual([
      { email: 'ok1@example.com', name: "=cmd|' /C calc'!A0" },
      { email: 'ok2@example.com', name: '<script>alert(1)</script>' },
      { email: 'ok3@example.com', name: 'evil' },
      { email: 'ok4@example.com', name: 'Before the broken line' },
    ]);
    expect(
      await t.db.selectFrom('subscribers').select('email').where('email', 'in', ['broken@example.com', 'never@example.com']).execute(),
    ).toEqual([]);
    expect(await t.db.selectFrom('subscribers').select('email').where('email', 'like', '%evil@%').execute()).toEqual([]);
    expect(await t.db.selectFrom('subscribers').select('email').where('email', 'like', 'nul%').execute()).toEqual([]);
    expect(await subscriberCount()).toBeGreaterThanOrEqual(before + 3);
  });

  it('reads a Latin-1 file without crashing and a binary file as one clear rejection', async () => {
    const latin1 = await runDigest(
      ['subscribers', 'import', file('latin1.csv', Buffer.from('email,name\r\nlatin@example.com,Zoë Müller\r\n', 'latin1'))],
      env,
    );
    expect(latin1.code, latin1.stderr).toBe(0);
    const name = (await t.db.selectFrom('subscribers').select('name').where('email', '=', 'latin@example.com').executeTakeFirstOrThrow())
      .name;
    expect(name).toBe('Zo\ufffd M\ufffdller');

    const binary = await runDigest(
      [
        'subscribers',
        'import',
        file('binary.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52])),
      ],
      env,
    );
    expect(binary.code).toBe(1);
    noStack(binary.stderr);
    expect(binary.stderr).toMatch(/line \d+: /);
  });
});
