/** Where the admin's live pages load their one script from (assets.route.ts serves it). */
export const LIVE_SCRIPT = '/assets/live.js';

/** How often a live page asks, and how long it goes on asking while nothing changes. */
export const LIVE_POLL_MS = 2_000;
export const LIVE_IDLE_MS = 10 * 60_000;

/**
 * The script of the pages that change while they are open (the catcher's inbox, an edition being
 * sent), served at /assets/live.js under the page's CSP `script-src 'self'; connect-src 'self'`. The
 * page works without it: its "Refresh" link reloads it. With it, the element carrying
 * `data-live-src` names a small JSON view (admin/live-view.ts) that the script asks for every
 * LIVE_POLL_MS, sending back the version it shows: 204 when nothing changed, else the new inner HTML
 * of a few elements by id. It asks only while the tab is visible, only while the page says there is
 * something to wait for (data-live="on"; an edition that has finished says off), stops after
 * LIVE_IDLE_MS without a change (and starts again when the tab is shown or focused), and stops for
 * good on a refusal (a session that expired: the Refresh link leads to the login).
 */
export const LIVE_JS = `(function () {
  'use strict';
  var root = document.querySelector('[data-live-src]');
  if (!root || !window.fetch) return;
  var src = root.getAttribute('data-live-src');
  var version = root.getAttribute('data-live-version') || '';
  var live = root.getAttribute('data-live') === 'on';
  var note = root.querySelector('[data-live-note]');
  var POLL = ${LIVE_POLL_MS}, IDLE = ${LIVE_IDLE_MS};
  var changedAt = Date.now();
  var timer = null;
  var busy = false;
  var refused = false;

  function say(text) {
    if (note) note.textContent = text;
  }
  function asking() {
    return live && !refused && Date.now() - changedAt < IDLE;
  }
  function schedule() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (asking() && !document.hidden) timer = setTimeout(ask, POLL);
    if (refused) say('(not updating: refresh to log in again)');
    else if (!live) say('');
    else if (asking()) say('(updates by itself)');
    else say('(stopped updating after ten quiet minutes)');
  }
  function apply(view) {
    version = view.version;
    live = view.live;
    changedAt = Date.now();
    Object.keys(view.parts).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.innerHTML = view.parts[id];
    });
  }
  function ask() {
    timer = null;
    if (busy || !asking()) return schedule();
    busy = true;
    var url = src + (src.indexOf('?') === -1 ? '?' : '&') + 'v=' + encodeURIComponent(version);
    fetch(url, { credentials: 'same-origin', cache: 'no-store', redirect: 'error', headers: { accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 204) return null;
        if (r.status === 401 || r.status === 403) {
          refused = true;
          return null;
        }
        if (!r.ok) return null;
        return r.json().then(apply);
      })
      .catch(function () {
        /* the server restarting, the network: asked again at the next tick */
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }
  function wake() {
    if (document.hidden) return schedule();
    changedAt = Date.now();
    ask();
  }
  document.addEventListener('visibilitychange', wake);
  window.addEventListener('focus', wake);
  schedule();
})();
`;
