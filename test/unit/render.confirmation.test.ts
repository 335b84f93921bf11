import { describe, expect, it } from 'vitest';
import { renderConfirmation } from '../../src/render/index.js';

describe('renderConfirmation', () => {
  const input = {
    site: { name: 'The Morning Post', postalAddress: '1 Main Street' },
    publicUrl: 'https://digest.example.com',
    confirmUrl: 'https://digest.example.com/confirm/tok?a=1&b=2',
    name: 'Ann',
  };

  it('carries the confirm link in both parts and no unsubscribe placeholders', async () => {
    const m = await renderConfirmation(input);
    expect(m.subject).toBe('Confirm your subscription to The Morning Post');
    expect(m.html).toContain('href="https://digest.example.com/confirm/tok?a=1&amp;b=2"');
    expect(m.text).toContain('https://digest.example.com/confirm/tok?a=1&b=2');
    expect(m.text).toMatch(/^Hello Ann,/);
    expect(m.html + m.text).not.toMatch(/%%[a-z_]+%%|\{\{/);
    expect(m.html).toContain('1 Main Street');
  });

  it('escapes a hostile name', async () => {
    const m = await renderConfirmation({ ...input, name: '"><img src=x onerror=alert(1)>' });
    expect(m.html).not.toContain('<img src=x');
    expect(m.html).toContain('Hello &quot;&gt;&lt;img src=x onerror=alert(1)&gt;,');
  });

  it('greets a reader without a name', async () => {
    expect((await renderConfirmation({ ...input, name: null })).text).toMatch(/^Hello,/);
  });
});
