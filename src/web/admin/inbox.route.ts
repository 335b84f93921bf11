import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { simpleParser } from 'mailparser';
import type { MailCatcher } from '../../catcher/index.js';
import { countOf, formatInstant } from '../../config/index.js';
import { escapeHtml as esc } from '../../render/index.js';
import { raw, type SafeHtml } from '../pages/html.js';
import { liveControl, sendLiveView, type LiveView } from './live-view.js';

/** The most rows the inbox lists (the store keeps up to 1,000 messages): the page and its live twin stay small. */
const LISTED = 500;

/**
 * The built-in catcher's inbox (only mounted when SMTP_URL is unset): every message the service sent,
 * its HTML in a sandboxed iframe (no scripts; links open at the top level so unsubscribe links work),
 * its text part and its raw headers. Its one form (Empty the inbox, secondary: offered only while
 * there is mail, also as the live list changes: `form.inbox-clear` in admin.layout.ts) goes through the
 * admin guard like any admin form, so it carries the session's CSRF field (`csrfField`, admin.layout.ts). Its pages are
 * the admin's (`layout`: adminPage), with the admin's navigation, so the inbox is no dead end.
 * The list updates by itself while the page is open (`live`: admin/live-view.ts, /inbox/live.json):
 * a confirmation or a digest caught after the page loaded shows without a reload.
 */
export function inboxRoutes(
  app: FastifyInstance,
  catcher: MailCatcher,
  guard: preHandlerAsyncHookHandler,
  csrfField: (request: FastifyRequest) => SafeHtml,
  layout: (request: FastifyRequest, reply: FastifyReply, title: string, body: string, live?: boolean) => Promise<FastifyReply>,
): void {
  const store = catcher.store;
  const opts = { preHandler: guard };

  /** The count and the rows: what changes while the inbox is open. Mail can come at any time, so always live. */
  function inboxView(): LiveView {
    const all = store.list();
    const rows = all
      .slice(0, LISTED)
      .map(
        (m) => `<tr><td class="s" data-label="Subject"><a href="/inbox/${esc(m.id)}">${esc(m.subject || '(no subject)')}</a></td>
<td data-label="To">${esc(m.to.join(', '))}</td><td class="d muted">${esc(formatInstant(m.receivedAt))}</td></tr>`,
      )
      .join('');
    return {
      live: true,
      parts: {
        'inbox-count': raw(countOf(all.length, 'message', 'messages', { sentenceStart: true })),
        'inbox-rows': raw(rows || '<tr><td colspan="3" class="muted">No mail yet.</td></tr>'),
      },
    };
  }

  app.get('/inbox', opts, async (request, reply) => {
    const view = inboxView();
    const body = `<p class="muted"><span id="inbox-count" aria-live="polite">${view.parts['inbox-count']!.value}</span> caught on ${esc(catcher.url)}. Nothing here was sent to the internet: set SMTP_URL to send through a real relay. Sign up on the <a href="/">sign-up page</a> to see a confirmation arrive here.</p>
<div class="row"><form method="post" action="/inbox/clear" class="inbox-clear"${store.count === 0 ? ' hidden' : ''}>${csrfField(request).value}<button type="submit" class="secondary">Empty the inbox</button></form>${liveControl('/inbox/live.json', '/inbox', view).value}</div>
<table><thead><tr><th>Subject</th><th>To</th><th class="d">Received</th></tr></thead><tbody id="inbox-rows">${view.parts['inbox-rows']!.value}</tbody></table>`;
    return layout(request, reply, 'Mail catcher', body, true);
  });

  // The inbox page's live twin (assets/live.script.ts asks every 2 s while the page is visible): 204 while nothing changed.
  app.get<{ Querystring: { v?: unknown } }>('/inbox/live.json', opts, async (request, reply) =>
    sendLiveView(reply, typeof request.query.v === 'string' ? request.query.v : undefined, inboxView()),
  );

  app.get('/inbox/messages.json', opts, async () =>
    store.list().map((m) => ({ id: m.id, subject: m.subject, to: m.to, from: m.from, receivedAt: m.receivedAt, size: m.size })),
  );

  app.get<{ Params: { id: string } }>('/inbox/:id', opts, async (request, reply) => {
    const raw = store.raw(request.params.id);
    const summary = store.summary(request.params.id);
    if (!raw || !summary)
      return layout(request, reply.code(404), 'Not found', '<p>No such message. <a href="/inbox">Back to the inbox</a>.</p>');
    const parsed = await simpleParser(raw);
    const headers = parsed.headerLines.map((h) => h.line).join('\n');
    const body = `<p><span class="muted">From ${esc(parsed.from?.text ?? '')} to ${esc(summary.to.join(', '))}, ${esc(formatInstant(summary.receivedAt))}, ${summary.size} bytes</span></p>
<nav class="tabs"><a href="#html">HTML</a><a href="#text">Text</a><a href="#headers">Headers</a><a href="/inbox/${esc(summary.id)}/raw">Raw</a></nav>
<h2 id="html">HTML</h2>${parsed.html ? `<iframe class="message" title="Message HTML" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" src="/inbox/${esc(summary.id)}/html"></iframe>` : '<p class="muted">No HTML part.</p>'}
<h2 id="text">Text</h2><pre>${esc(parsed.text ?? '(no text part)')}</pre>
<h2 id="headers">Headers</h2><pre>${esc(headers)}</pre>`;
    return layout(request, reply, parsed.subject ?? 'Message', body);
  });

  app.get<{ Params: { id: string } }>('/inbox/:id/html', opts, async (request, reply) => {
    const raw = store.raw(request.params.id);
    if (!raw) return reply.code(404).send('not found');
    const parsed = await simpleParser(raw);
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    // Links leave the frame for the top window (a reader's click), and the message runs no script.
    const withBase = /<head[^>]*>/i.test(html)
      ? html.replace(/<head([^>]*)>/i, '<head$1><base target="_top">')
      : `<base target="_top">${html}`;
    return reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; script-src 'none'",
      )
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
