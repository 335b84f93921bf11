import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../helpers/config.js';
import { SERVICE_ENGINE } from '../helpers/database.js';
import { useTestServer } from '../helpers/http.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

/** The reader-facing pages and mails of a real server started with DIGEST_LANG=fr or LANG=fr_FR.UTF-8. */
const form = (data: Record<string, string>) => new URLSearchParams(data);

describe('a French site (DIGEST_LANG=fr), through the real server', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => sink?.close());
  const s = useTestServer(
    SERVICE_ENGINE,
    () => testConfig({ DIGEST_LANG: 'fr', LANG: 'en_US.UTF-8', PUBLIC_URL: 'http://digest.test', SITE_NAME: 'Le Quotidien' }),
    {
      smtpUrl: () => sink.url,
    },
  );
  const local = (link: string) => link.replace('http://digest.test', s.url);

  it('serves the sign-up page in French, with lang="fr"', async () => {
    const html = await (await fetch(`${s.url}/`)).text();
    expect(html).toMatch(/^<!doctype html>\n<html lang="fr">/);
    expect(html).toContain('<title>Inscription · Le Quotidien</title>');
    expect(html).toContain('<label for="email">Adresse e-mail</label>');
    expect(html).toContain('Nom <span class="hint">facultatif</span>');
    expect(html).toContain('> À la une</label>');
    expect(html).toContain('<button type="submit">S’abonner</button>');
    expect(html).toContain('Déjà abonné\u202f? <a href="/manage">Gérez votre abonnement</a>.');
    expect(html).not.toMatch(/Email address|Subscribe<|Top stories/);
  });

  it('answers a bad address, and a good one, in French', async () => {
    const bad = await fetch(`${s.url}/subscribe`, { method: 'POST', body: form({ email: 'not-an-address' }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Cela ne ressemble pas à une adresse e-mail.');

    const json = await fetch(`${s.url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: '' }),
    });
    expect(await json.json()).toMatchObject({ error: 'invalid_email', message: 'Veuillez saisir votre adresse e-mail.' });

    const ok = await fetch(`${s.url}/subscribe`, { method: 'POST', body: form({ email: 'anne@example.com', name: 'Anne' }) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<h1>Consultez votre boîte de réception</h1>');
  });

  it('sends the confirmation email in French, and the confirm and preferences pages follow', async () => {
    const [mail] = await sink.waitFor(1);
    expect(mail!.parsed.subject).toBe('Confirmez votre abonnement à « Le Quotidien »');
    expect(mail!.parsed.text).toMatch(/^Bonjour Anne,\n\nMerci de confirmer/);
    expect(mail!.parsed.html).toMatch(/<html lang="fr"/);
    expect(mail!.parsed.html).toContain('Confirmer mon abonnement');
    const link = /http:\/\/digest\.test\/confirm\/[A-Za-z0-9._-]+/.exec(mail!.parsed.text ?? '')![0];

    const confirm = await (await fetch(local(link))).text();
    expect(confirm).toContain('<h1>Confirmez votre abonnement</h1>');
    expect(confirm).toContain(
      'commencer à recevoir «\u00a0Le Quotidien\u00a0» à l’adresse <strong class="addr">anne@example.com</strong>.',
    );
    expect(confirm).toContain('<button type="submit">Oui, abonnez-moi</button>');

    const confirmed = await (await fetch(local(link), { method: 'POST' })).text();
    expect(confirmed).toContain('<h1>Vous êtes abonné</h1>');
    const prefsPath = /<a href="(\/p\/[^"]+)">Choisir les rubriques/.exec(confirmed)![1]!;

    const prefs = await (await fetch(`${s.url}${prefsPath}`)).text();
    expect(prefs).toContain('<h1>Vos préférences</h1>');
    expect(prefs).toContain('<option value="1" selected>Lundi</option>');
    expect(prefs).toContain('Par défaut (UTC)');
    const invalid = await fetch(`${s.url}${prefsPath}`, { method: 'POST', body: form({ frequency: 'daily' }) });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('Choisissez au moins une rubrique.');
  });

  it('says a bad link is not valid, in French', async () => {
    const res = await fetch(`${s.url}/u/forged.token`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<h1>Lien non valide</h1>');
    expect(html).toContain(
      'Vous pouvez <a href="/manage">recevoir un nouveau lien par e-mail</a> ou <a href="/">vous inscrire de nouveau</a>.',
    );
  });

  it('titles the public archive in French', async () => {
    const html = await (await fetch(`${s.url}/editions`)).text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Le Quotidien\u00a0: les archives');
    expect(html).toContain('Aucune édition pour l’instant.');
  });
});

describe('the language from LANG alone', () => {
  const french = useTestServer(SERVICE_ENGINE, () => testConfig({ LANG: 'fr_FR.UTF-8' }));
  const c = useTestServer(SERVICE_ENGINE, () => testConfig({ LANG: 'C.UTF-8' }));

  it('LANG=fr_FR.UTF-8 serves French', async () => {
    const html = await (await fetch(`${french.url}/`)).text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Recevez chaque jour par e-mail');
  });

  // A language with no file (LANG=de_DE.UTF-8) is English too: test/unit/config.language.test.ts.
  it('LANG=C.UTF-8 serves English as before', async () => {
    const html = await (await fetch(`${c.url}/`)).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>Get top stories and blog posts emailed to you each day.</h1>');
    expect(html).toContain('<button type="submit">Subscribe</button>');
  });
});
