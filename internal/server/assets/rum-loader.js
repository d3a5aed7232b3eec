/* headroom rum.js: measures real browsers for the frontend SLIs.
 * Served as /rum.js right after web-vitals.iife.js (the global webVitals).
 * Plain ES2017, no modules, no build step. The beacon format is in
 * docs/frontend.md. Sends no cookies, storage, user agent, query strings or
 * error messages; writes nothing to the console; never throws into the page.
 *
 *   <script src="https://headroom.example/rum.js" data-app="web-frontend"
 *           data-sample="0.5" data-api="false" defer></script>
 */
(function () {
  'use strict';

  var MAX_QUEUE = 20;    // events that make a beacon right away
  var MAX_BODY = 16000;  // characters per beacon (sendBeacon shares 64 KiB)
  var MAX_PATH = 1024;   // characters kept of a page or a route
  var VITALS = ['onLCP', 'onINP', 'onCLS', 'onFCP', 'onTTFB'];

  try {
    var w = window, d = document;
    var s = d.currentScript;
    if (!s || !s.getAttribute('data-app')) {
      var tags = d.querySelectorAll('script[src*="rum.js"][data-app]');
      s = tags[tags.length - 1];
    }
    var app = s && s.getAttribute('data-app');
    if (!app || w.__headroomRUM) return; // no app, or installed twice
    w.__headroomRUM = 1;
    var rate = parseFloat(s.getAttribute('data-sample'));
    if (!(Math.random() < (isNaN(rate) ? 1 : rate))) return; // sampled out
    var endpoint = new URL(s.src).origin + '/api/v1/rum';
    var withAPI = s.getAttribute('data-api') !== 'false';
    var nativeFetch = w.fetch;

    var page = location.pathname.slice(0, MAX_PATH);
    var width = w.innerWidth || d.documentElement.clientWidth;
    var dev = width < 768 ? 'mobile' : width < 1024 ? 'tablet' : 'desktop';

    var q = [];        // events not sent yet; all of the current pv and nav
    var pv, nav, apiN, hadError, timer = 0;

    // A prerendered page is measured once it is shown (never, if it is not).
    if (d.prerendering) d.addEventListener('prerenderingchange', start, { once: true });
    else start();
  } catch (e) { /* never break the page */ }

  function start() {
    try {
      view(navType());
      // Before web-vitals' own pageshow listener: a page restored from the
      // back/forward cache is a new page view, and its vitals belong to it.
      w.addEventListener('pageshow', function (e) {
        try {
          if (e.persisted) { flush(); view('back-forward-cache'); }
        } catch (err) { /* ignore */ }
      }, true);
      var wv = w.webVitals;
      VITALS.forEach(function (f) {
        try { if (wv && wv[f]) wv[f](vital); } catch (e) { /* ignore */ }
      });
      // After web-vitals' capture listeners, which report CLS, INP and LCP
      // when the page is hidden.
      d.addEventListener('visibilitychange', function () {
        if (d.visibilityState === 'hidden') flush();
      });
      w.addEventListener('pagehide', flush);
      w.addEventListener('error', error);
      w.addEventListener('unhandledrejection', error);
      if (withAPI) { wrapFetch(); wrapXHR(); }
    } catch (e) { /* ignore */ }
  }

  // navType is the navigation type as web-vitals computes it.
  function navType() {
    try {
      var e = performance.getEntriesByType('navigation')[0];
      if (e && !(e.responseStart > 0 && e.responseStart < performance.now())) e = null;
      if (d.prerendering || (e && e.activationStart > 0)) return 'prerender';
      if (d.wasDiscarded) return 'restore';
      if (e && e.type) return e.type.replace(/_/g, '-'); // back_forward
    } catch (err) { /* ignore */ }
    return 'navigate';
  }

  function view(navigation) {
    pv = Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
    nav = navigation;
    apiN = 0;
    hadError = false;
    push({ t: 'pageview', id: pv });
  }

  function push(ev) {
    q.push(ev);
    if (q.length >= MAX_QUEUE) flush();
    // Reported while hidden (e.g. after the visibilitychange beacon): send
    // soon rather than wait for a pagehide that may never come.
    else if (d.visibilityState === 'hidden' && !timer) timer = setTimeout(flush, 0);
  }

  function vital(m) {
    try {
      if (m.navigationType && m.navigationType !== nav) { flush(); nav = m.navigationType; }
      var v = m.name === 'CLS' ? Math.round(m.value * 1e4) / 1e4 : Math.round(m.value * 10) / 10;
      for (var i = 0; i < q.length; i++) {
        if (q[i].id === m.id) { q[i].v = v; return; } // a newer value, not sent yet
      }
      push({ t: 'vital', id: m.id, n: m.name, v: v });
    } catch (e) { /* ignore */ }
  }

  function error() {
    try {
      if (hadError) return;
      hadError = true;
      push({ t: 'error', id: pv + ':err' });
    } catch (e) { /* ignore */ }
  }

  // api reports a fetch or XHR call: status 0 is a network error.
  function api(url, status) {
    try {
      var u = new URL(url, d.baseURI);
      if (!/^https?:$/.test(u.protocol) || u.origin + u.pathname === endpoint) return;
      apiN++;
      push({
        t: 'api', id: pv + ':api:' + apiN, route: u.pathname.slice(0, MAX_PATH),
        ok: status > 0 && status < 500, status: status
      });
    } catch (e) { /* ignore */ }
  }

  function wrapFetch() {
    if (typeof nativeFetch !== 'function') return;
    w.fetch = function (input) {
      var p = nativeFetch.apply(this, arguments);
      try {
        var url = input && input.url || String(input); // a Request, a URL or a string
        p.then(function (r) {
          // Opaque (no-cors, manual redirect) responses have no status.
          if (r && r.type !== 'opaque' && r.type !== 'opaqueredirect') api(url, r.status);
        }, function (e) {
          if (!e || e.name !== 'AbortError') api(url, 0); // aborted on purpose: not a failure
        });
      } catch (e) { /* ignore */ }
      return p;
    };
  }

  function wrapXHR() {
    var X = w.XMLHttpRequest && w.XMLHttpRequest.prototype;
    if (!X || !X.open) return;
    var open = X.open, state = new WeakMap();
    X.open = function (method, url) {
      try {
        var x = this, st = state.get(x);
        if (!st) { // once per object: an XHR may be opened again
          state.set(x, st = {});
          x.addEventListener('abort', function () { st.u = null; });
          x.addEventListener('loadend', function () {
            if (st.u) api(st.u, x.status);
            st.u = null;
          });
        }
        st.u = String(url);
      } catch (e) { /* ignore */ }
      return open.apply(this, arguments);
    };
  }

  // flush sends the queue in beacons of at most MAX_BODY characters.
  function flush() {
    try {
      clearTimeout(timer);
      timer = 0;
      if (!q.length) return;
      var head = JSON.stringify({ v: 1, app: app, page: page, nav: nav, dev: dev, pv: pv, ev: [] }).slice(0, -2);
      var evs = q.splice(0), body = '';
      for (var i = 0; i < evs.length; i++) {
        var e = JSON.stringify(evs[i]);
        if (body && head.length + body.length + e.length + 3 > MAX_BODY) {
          post(head + body + ']}');
          body = '';
        }
        body += (body ? ',' : '') + e;
      }
      post(head + body + ']}');
    } catch (e) { /* ignore */ }
  }

  // post sends a body with sendBeacon, else with a keepalive fetch; text/plain
  // keeps it a simple request (no preflight), no-cors keeps the console quiet.
  function post(body) {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: 'text/plain' }))) return;
    } catch (e) { /* ignore */ }
    try {
      if (nativeFetch) {
        nativeFetch.call(w, endpoint, {
          method: 'POST', body: body, keepalive: true, credentials: 'omit', mode: 'no-cors',
          headers: { 'Content-Type': 'text/plain' }
        }).catch(function () { /* ignore */ });
      }
    } catch (e) { /* ignore */ }
  }
})();
