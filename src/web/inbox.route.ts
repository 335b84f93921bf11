import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { simpleParser } from 'mailparser';
import type { MailCatcher } from '../catcher/index.js';
import { escapeHtml as esc } from '../render/index.js';
import type { SafeHtml } from './pages/html.js';

const STYLE = `
  *{box-sizing:border-box} body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7}
  header{background:#1d2330;color:#fff;padding:12px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
  header a{color:#fff} h1{font-size:18px;margin:0;flex:1} main{max-width:1100px;margin:0 auto;padding:16px}
  table{width:100%;border-collapse:collapse;background:#fff} td,th{padding:8px 10px;border-bottom:1px solid #e3e5ea;text-align:left;vertical-align:top}
  td.s{word-break:break-word} .muted{color:#667085;font-size:13px} iframe{width:100%;height:70vh;border:1px solid #d0d4dc;background:#fff}
  pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #e3e5ea;padding:12px;font-size:13px}
  nav.tabs{display:flex;gap:8px;margin:12px 0} nav.tabs a{padding:6px 10px;background:#fff;border:1px solid #d0d4dc;border-radius:6px;text-decoration:none;color:#1d2330}
  button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #d0d4dc;background:#fff;cursor:pointer}
  @media (max-width:600px){ th.d,td.d{display:none} }
`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body>
<header><h1>${esc(title)}</h1><a href="/inbox">Inbox</a><a href="/">Sign-up page</a></header><main>${body}</main></body></html>`;
}

/**
 * The built-in catcher's inbox (only mounted when SMTP_URL is unset): every message the service sent,
 * its HTML in a sandboxed iframe (no scripts; links open at the top level so unsubscribe links work),
 * its text part and its raw headers. Its one form (Empty the inbox) goes through the admin guard like
 * any admin form, so it carries the session's CSRF field (`csrfField`, admin.layout.ts).
 */
export function inboxRoutes(
  app: FastifyInstance,
  catcher: MailCatcher,
  guard: preHandlerAsyncHookHandler,
  csrfField: (request: FastifyRequest) => SafeHtml,
): void {
  const store = catcher.store;
  const opts = { preHandler: guard };

  app.get('/inbox', opts, async (request, reply) => {
    const rows = store
      .list()
      .slice(0, 500)
      .map(
        (m) => `<tr><td class="s"><a href="/inbox/${esc(m.id)}">${esc(m.subject || '(no subject)')}</a></td>
<td>${esc(m.to.join(', '))}</td><td class="d muted">${esc(m.receivedAt.toISOString().replace('T', ' ').slice(0, 19))} UTC</td></tr>`,
      )
      .join('');
    const body = `<p class="muted">${store.count} message(s) caught on ${esc(catcher.url)}. Nothing here was sent to the internet: set SMTP_URL to send through a real relay.</p>
<form method="post" action="/inbox/clear">${csrfField(request).value}<button type="submit">Empty the inbox</button></form>
<table><thead><tr><th>Subject</th><th>To</th><th class="d">Received</th></tr></thead><tbody>${rows || '<tr><td colspan="3" class="muted">No mail yet.</td></tr>'}</tbody></table>`;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page('Mail catcher', body));
  });

  app.get('/inbox/messages.json', opts, async () =>
    store.list().map((m) => ({ id: m.id, subject: m.subject, to: m.to, from: m.from, receivedAt: m.receivedAt, size: m.size })),
  );

  app.get<{ Params: { id: string } }>('/inbox/:id', opts, async (request, reply) => {
    const raw = store.raw(request.params.id);
    const summary = store.summary(request.params.id);
    if (!raw || !summary) return reply.code(404).type('text/html; charset=utf-8').send(page('Not found', '<p>No such message.</p>'));
    const parsed = await simpleParser(raw);
    const headers = parsed.headerLines.map((h) => h.line).join('\n');
    const body = `<p><strong>${esc(parsed.subject ?? '')}</strong><br><span class="muted">From ${esc(parsed.from?.text ?? '')} to ${esc(summary.to.join(', '))}, ${esc(summary.receivedAt.toISOString())}, ${summary.size} bytes</span></p>
<nav class="tabs"><a href="#html">HTML</a><a href="#text">Text</a><a href="#headers">Headers</a><a href="/inbox/${esc(summary.id)}/raw">Raw</a></nav>
<h2 id="html">HTML</h2>${parsed.html ? `<iframe title="Message HTML" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" src="/inbox/${esc(summary.id)}/html"></iframe>` : '<p class="muted">No HTML part.</p>'}
<h2 id="text">Text</h2><pre>${esc(parsed.text ?? '(no text part)')}</pre>
<h2 id="headers">Headers</h2><pre>${esc(headers)}</pre>`;
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page(parsed.subject ?? 'Message', body));
  });

  app.get<{ Params: { id: string } }>('/inbox/:id/html', opts, async (request, reply) => {
    const raw = store.raw(request.params.id);
    if (!raw) return reply.code(404).send('not found');
    const parsed = await simpleParser(raw);
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    // Links leave the frame for the top window (a reader's click), and the message runs no script.
    const withBase = /<head[^>]*>/i.test(html) ? html.replace(/<head([^>]*)>/i, '<head$1><base target="_top">') : `<base target="_top">${html}`;
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; script-src 'none'")
      .header('cache-control', 'no-store')
      .send(withBase);
  });

  app.get<{ Params: { id: string } }>('/inbox/:id/raw', opts, async (request, reply) => {
    const raw = store.raw(request.params.id);
    if (!raw) return reply.code(404).send('not found');
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(raw);
  });

  app.post('/inbox/clear', opts, async (_request, reply) => {
    store.clear();
    return reply.redirect('/inbox', 303);
  });
}
