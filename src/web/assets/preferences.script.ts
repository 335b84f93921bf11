/**
 * The preferences page's one script, served at /assets/preferences.js (assets.route.ts) under the
 * page's CSP `script-src 'self'`: kept here as text so the compiled service carries it with no file
 * to copy. The page works without it; with it, a reader who never chose a zone finds the browser's
 * zone selected (found by its IANA name or an old one, data-aliases), and the "usual edition" line
 * shows its time in the zone selected.
 */
export const PREFERENCES_JS = `(function () {
  'use strict';
  var select = document.getElementById('timezone');
  if (!select) return;

  function optionFor(zone) {
    for (var i = 0; i < select.options.length; i++) {
      var o = select.options[i];
      if (o.value === '') continue;
      if (o.value === zone || (o.getAttribute('data-aliases') || '').split(' ').indexOf(zone) !== -1) return o;
    }
    return null;
  }

  if (select.getAttribute('data-stored') === '') {
    var browserZone = null;
    try {
      browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      browserZone = null;
    }
    var found = browserZone ? optionFor(browserZone) : null;
    if (found) {
      found.selected = true;
      var hint = document.getElementById('timezone-browser');
      if (hint) hint.hidden = false;
    }
  }

  var usual = document.querySelector('option[data-send-at]');
  function relabel() {
    if (!usual) return;
    var instants = (usual.getAttribute('data-send-at') || '').split(' ').filter(Boolean);
    if (instants.length === 0) return;
    var zone = select.value || select.getAttribute('data-default');
    var lang = document.documentElement.lang || 'en';
    var times = [];
    instants.forEach(function (iso) {
      var t = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
      if (times.indexOf(t) === -1) times.push(t);
    });
    var list = Intl.ListFormat ? new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }).format(times) : times.join(', ');
    usual.textContent = (usual.getAttribute('data-template') || '').replace('{time}', list).replace('{zone}', zone);
  }
  select.addEventListener('change', relabel);
  relabel();
})();
`;
