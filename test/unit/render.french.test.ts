import { describe, expect, it } from 'vitest';
import { loadLocale } from '../../src/config/index.js';
import { compileMessageTemplate, personalise, renderConfirmation, renderEdition, type EditionInput } from '../../src/render/index.js';
import { fixtureStory } from '../helpers/stories.js';

const fr = loadLocale('fr');
const input = (over: Partial<EditionInput> = {}): EditionInput => ({
  date: '2026-11-26',
  site: { name: 'Le Quotidien', postalAddress: '1 rue de la Paix, Paris' },
  publicUrl: 'https://digest.example.com',
  stories: [
    fixtureStory({ votes: 12, comments: 1 }),
    fixtureStory({ url: 'https://news.example.com/b', title: 'Deux', votes: 1, comments: 0 }),
  ],
  blogs: [fixtureStory({ url: 'https://blog.example.com/c', kind: 'blog', title: 'Billet' })],
  locale: fr,
  ...over,
});
const reader = { name: 'Anne', unsubscribeUrl: 'https://digest.example.com/u/tok', preferencesUrl: 'https://digest.example.com/p/tok' };

describe('the digest in French (DIGEST_LANG=fr)', () => {
  it('says everything in French in both parts, with the date and counts in French', async () => {
    const r = await renderEdition(input());
    expect(r.subject).toMatch(/ · jeu\. 26 nov\.$/);
    expect(r.html).toMatch(/<html lang="fr"/);
    const p = personalise(r, reader, fr);
    expect(p.html).toContain('Bonjour Anne, voici les articles du jour que vous propose Le Quotidien.');
    expect(p.text).toContain('Bonjour Anne,\nvoici les articles du jour que vous propose Le Quotidien.');
    for (const part of [p.html, p.text]) {
      expect(part).toContain('jeudi 26 novembre 2026');
      expect(part).toContain('12 votes · 1 commentaire');
      expect(part).toContain('1 vote');
      // The text part wraps the sentence at 78 characters.
      expect(part.replace(/\n/g, ' ')).toContain(
        'Vous recevez cet e-mail parce que vous vous êtes abonné à «\u00a0Le Quotidien\u00a0» sur https://digest.example.com.',
      );
    }
    expect(p.html).toContain('À la une');
    expect(p.html).toContain('Sur les blogs');
    expect(p.html).toContain(
      '>Se désabonner</a> · <a href="https://digest.example.com/p/tok">Modifier vos préférences</a> · <a href="https://digest.example.com/editions/2026-11-26">Voir dans le navigateur</a>',
    );
    expect(p.text).toContain('À LA UNE\n========');
    expect(p.text).toContain('Se désabonner\u00a0: https://digest.example.com/u/tok');
    expect(p.text).toContain('(Lire dans votre navigateur\u00a0: https://digest.example.com/editions/2026-11-26)');
    for (const english of ['Hello', 'Top stories', 'From the blogs', 'Unsubscribe', 'receiving', 'comments', 'Thursday']) {
      expect([english, p.text.includes(english)]).toEqual([english, false]);
    }
  });

  it('greets by name in the spliced MIME message too', async () => {
    const r = await renderEdition(input());
    const template = await compileMessageTemplate({ from: 'd@example.com', subject: r.subject, html: r.html, text: r.text, locale: fr });
    const raw = template({ ...reader, to: 'anne@example.com', messageId: '<1@example.com>' })!.toString('latin1');
    expect(raw).toContain('Bonjour Anne,');
  });

  it('has a French empty day and "view in browser" page', async () => {
    const r = await renderEdition(input({ stories: [], blogs: [], mode: 'web' }));
    // Empty: it says so, and announces no picks.
    expect(r.text).not.toContain('voici');
    expect(r.text).toContain('Rien de neuf aujourd’hui.');
    expect(r.text).toContain('Recevez-la par e-mail chaque matin\u00a0: https://digest.example.com/');
    expect(r.preheader).toBe('Le Quotidien, jeudi 26 novembre 2026');
  });

  it('escapes story and reader text exactly as in English, and no story can forge a marker', async () => {
    const r = await renderEdition(input({ stories: [fixtureStory({ title: '<script>alert(1)</script> %%unsubscribe_url%%' })] }));
    const p = personalise(r, { ...reader, name: '"><img src=x>' }, fr);
    expect(p.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; %&#37;unsubscribe_url%&#37;');
    expect(p.html).toContain('Bonjour &quot;&gt;&lt;img src=x&gt;,');
    expect(p.html).not.toContain('<script>alert(1)');
  });

  it('is English, as before, without a locale', async () => {
    const r = await renderEdition(input({ locale: undefined }));
    const p = personalise(r, reader);
    expect(r.html).toMatch(/<html lang="en"/);
    expect(r.subject).toMatch(/ · Thu 26 Nov$/);
    expect(p.text).toContain("Hello Anne,\nhere are today's picks from Le Quotidien.");
    expect(p.text).toContain('Thursday, 26 November 2026');
    expect(p.text).toContain('TOP STORIES\n===========');
    expect(p.text).toContain(
      'Unsubscribe: https://digest.example.com/u/tok\nPreferences: https://digest.example.com/p/tok\nView in browser: https://digest.example.com/editions/2026-11-26\n',
    );
  });
});

describe('the confirmation email in French', () => {
  it('asks in French, with its button and reason', async () => {
    const m = await renderConfirmation({
      site: { name: 'Le Quotidien', postalAddress: '' },
      publicUrl: 'https://digest.example.com',
      confirmUrl: 'https://digest.example.com/confirm/tok',
      name: 'Anne',
      locale: fr,
    });
    expect(m.subject).toBe('Confirmez votre abonnement à « Le Quotidien »');
    expect(m.html).toMatch(/<html lang="fr"/);
    expect(m.html).toContain('Confirmer mon abonnement');
    // Wrapped at 78 characters; the no-break spaces inside « » hold.
    expect(m.text).toMatch(
      /^Bonjour Anne,\n\nMerci de confirmer que vous souhaitez recevoir «\u00a0Le Quotidien\u00a0» par e-mail à\ncette adresse\./,
    );
    expect(m.text).toContain('Confirmer mon abonnement\u00a0:\nhttps://digest.example.com/confirm/tok');
    // Wrapped at 76 columns, never at a no-break space.
    expect(m.text).toContain('ignorez cet e-mail\u00a0: sans confirmation');
    expect(m.text).toContain('formulaire d’inscription de https://digest.example.com.');
  });
});
