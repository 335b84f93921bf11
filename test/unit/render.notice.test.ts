import { describe, expect, it } from 'vitest';
import { loadLocale } from '../../src/config/index.js';
import { renderNotice, type NoticeInput } from '../../src/render/index.js';

describe('renderNotice (the manage / already-subscribed email, templates/notice.*)', () => {
  const input: NoticeInput = {
    site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
    why: 'manage',
    unsubscribed: false,
    preferencesUrl: 'https://digest.example.com/p/pref.tok?a=1&b=2',
    unsubscribeUrl: 'https://digest.example.com/u/unsub.tok',
    name: 'Ann',
  };

  it('carries both links in both parts, with the same words as ever', async () => {
    const m = await renderNotice(input);
    expect(m.subject).toBe('Your subscription to The Morning Post');
    // The same words as ever, wrapped at 78 like every text part (the links whole, on their own lines).
    for (const line of m.text.split('\n')) if (!line.includes('https://')) expect(line.length, line).toBeLessThanOrEqual(78);
    expect(m.text).toContain('\nChange your preferences: https://digest.example.com/p/pref.tok?a=1&b=2\n');
    expect(m.text.replace(/\s+/g, ' ').trim()).toBe(
      [
        'Hello Ann,',
        '',
        'Here are the links to manage your subscription to The Morning Post, as requested.',
        '',
        'Change your preferences: https://digest.example.com/p/pref.tok?a=1&b=2',
        'Unsubscribe: https://digest.example.com/u/unsub.tok',
        '',
        'If you did not ask for this, you can ignore this email.',
        '1 Main Street',
      ]
        .join(' ')
        .replace(/\s+/g, ' '),
    );
    expect(m.html).toContain('href="https://digest.example.com/p/pref.tok?a=1&amp;b=2"');
    expect(m.html).toContain('href="https://digest.example.com/u/unsub.tok"');
    expect(m.html).toContain('Change my preferences');
    expect(m.html).toContain('If you did not ask for this, you can ignore this email.');
    expect(m.html).toContain('1 Main Street');
    expect(m.html + m.text).not.toMatch(/%%[a-z_]+%%|\{\{|\bm[0-9a-f]{24}\b/);
  });

  it('says why it was sent, and tells an unsubscribed reader how to come back', async () => {
    const again = await renderNotice({ ...input, why: 'already_subscribed', unsubscribed: true });
    // Words are compared with white space folded: the text part wraps at 78.
    for (const part of [again.text.replace(/\s+/g, ' '), again.html]) {
      expect(part).toContain('It is already subscribed, so nothing has changed.');
      expect(part).toContain('You are currently unsubscribed; you can resubscribe from the preferences page.');
    }
    expect((await renderNotice(input)).html).not.toContain('currently unsubscribed');
  });

  it('escapes a hostile name, and each mail gets its own greeting and links', async () => {
    const hostile = await renderNotice({ ...input, name: '"><img src=x onerror=alert(1)> %%unsubscribe_url%%' });
    expect(hostile.html).not.toContain('<img src=x');
    expect(hostile.html).toContain('Hello &quot;&gt;&lt;img src=x onerror=alert(1)&gt; %&#37;unsubscribe_url');
    expect(hostile.html + hostile.text).not.toContain('%%unsubscribe_url%%');
    const other = await renderNotice({ ...input, name: null, unsubscribeUrl: 'https://digest.example.com/u/other' });
    expect(other.text).toMatch(/^Hello,\n/);
    expect(other.html).toContain('href="https://digest.example.com/u/other"');
    expect(other.html).not.toContain('unsub.tok');
  });

  it('speaks the configured language', async () => {
    const m = await renderNotice({ ...input, locale: loadLocale('fr') });
    expect(m.html).toContain('lang="fr"');
    expect(m.subject).not.toBe('Your subscription to The Morning Post');
    expect(m.text).toContain('https://digest.example.com/p/pref.tok?a=1&b=2');
  });
});
