/* headroom dashboard: charts (uPlot) and live refresh.
 * Plain ES2017, no modules, no build step; needs only the global uPlot.
 * The CSP forbids inline styles in markup, so everything here builds DOM
 * nodes and sets classes (element.style is only touched by uPlot). */
(function () {
  'use strict';

  var HEIGHT = 220;            // plot height in px (the legend comes below)
  var FETCH_TIMEOUT = 15000;   // ms before a request counts as failed
  var MAX_BACKOFF = 60000;     // ms between retries while offline
  var PARTIAL = 'X-Headroom-Partial';

  var main = document.getElementById('main');
  var charts = [];             // live chart entries, see render()
  var resizeObs = null;

  var COLORS = {
    blue: '#2563eb', green: '#16a34a', red: '#dc2626', amber: '#d97706',
    grey: '#8a94a0', teal: '#0d9488', purple: '#9333ea', slate: '#64748b'
  };
  var CLASS_COLORS = {
    '1xx': COLORS.purple, '2xx': COLORS.green, '3xx': COLORS.grey,
    '4xx': COLORS.amber, '5xx': COLORS.red, '-': COLORS.slate
  };
  var CLASS_ORDER = ['2xx', '3xx', '4xx', '5xx', '1xx', '-'];

  // ---- formatting ---------------------------------------------------------

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  function dayUTC(d) {
    return d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate());
  }

  function hmUTC(d) { return pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()); }

  // fmtUTC formats Unix seconds as "2026-11-19 14:45".
  function fmtUTC(sec) {
    var d = new Date(sec * 1000);
    return dayUTC(d) + ' ' + hmUTC(d);
  }

  // fmtSpan formats a step [sec, sec+step) for the legend.
  function fmtSpan(sec, step) {
    if (!(step > 0)) return fmtUTC(sec) + ' UTC';
    var a = new Date(sec * 1000), b = new Date((sec + step) * 1000);
    if (step >= 86400 && a.getUTCHours() === 0 && a.getUTCMinutes() === 0) {
      return step === 86400 ? dayUTC(a) : dayUTC(a) + ' → ' + dayUTC(new Date((sec + step - 1) * 1000));
    }
    return dayUTC(a) + ' ' + hmUTC(a) + '–' + (dayUTC(a) === dayUTC(b) ? '' : dayUTC(b) + ' ') + hmUTC(b) + ' UTC';
  }

  function fmtNum(v) {
    if (v == null || !isFinite(v)) return '–';
    return v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) < 10 && v % 1 ? 2 : 1 });
  }

  // fmtShort is a compact count for axes: 950, 1.2k, 3.4M.
  function fmtShort(v) {
    var a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toFixed(1) + 'G';
    if (a >= 1e6) return +(v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return +(v / 1e3).toFixed(1) + 'k';
    return fmtNum(v);
  }

  // decimals returns how many decimals show a tick increment.
  function decimals(incr) {
    if (!(incr > 0)) return 0;
    return Math.max(0, Math.min(6, Math.ceil(-Math.log10(incr) - 1e-9)));
  }

  // fmtPct formats a percentage (0–100) like the server does for SLIs.
  function fmtPct(v) {
    if (v == null || !isFinite(v)) return '–';
    if (v >= 99.999 && v < 100) return v.toFixed(4) + '%';
    if (v >= 99.9) return v.toFixed(3) + '%';
    return v.toFixed(2) + '%';
  }

  function fmtMs(v) {
    if (v == null || !isFinite(v)) return '–';
    if (Math.abs(v) >= 1000) return +(v / 1000).toFixed(2) + ' s';
    if (Math.abs(v) < 10) return +v.toFixed(2) + ' ms';
    return Math.round(v) + ' ms';
  }

  function fmtBurn(v) {
    if (v == null || !isFinite(v)) return '–';
    return v.toFixed(2) + '×';
  }

  // parseDuration reads a duration ("300ms", "1s", "1m30s", "1d") as ms.
  function parseDuration(s) {
    if (!s) return null;
    var re = /(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h|d|w)/g;
    var unit = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 };
    var total = 0, matched = '', m;
    s = String(s).trim();
    while ((m = re.exec(s)) !== null) {
      total += parseFloat(m[1]) * unit[m[2]];
      matched += m[0];
    }
    if (!matched) {
      var n = parseFloat(s);
      return isFinite(n) ? n : null;
    }
    return total;
  }

  function toSec(t) {
    var ms = Date.parse(t);
    return isFinite(ms) ? ms / 1000 : null;
  }

  // ---- chart building -----------------------------------------------------

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return v && v.trim() ? v.trim() : fallback;
  }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16 & 255) + ',' + (n >> 8 & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  function tzDate(ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); }

  // Time axis labels in 24h UTC; the second line marks a new day.
  // [min tick incr, format, year rollover, month, day, hour, minute, second, mode (1: concat)]
  var TIME_VALUES = [
    [3600 * 24 * 365, '{YYYY}', null, null, null, null, null, null, 1],
    [3600 * 24 * 28, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
    [3600 * 24, '{MMM} {D}', '\n{YYYY}', null, null, null, null, null, 1],
    [3600, '{HH}:{mm}', '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
    [60, '{HH}:{mm}', '\n{MMM} {D}', null, '\n{MMM} {D}', null, null, null, 1],
    [1, ':{ss}', '\n{MMM} {D} {HH}:{mm}', null, '\n{MMM} {D} {HH}:{mm}', null, '\n{HH}:{mm}', null, 1]
  ];

  // axisSize fits a y axis to its widest label.
  function axisSize(u, values, axisIdx, cycleNum) {
    var axis = u.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    var size = axis.ticks.size + axis.gap;
    var longest = '';
    (values || []).forEach(function (v) { if (v != null && String(v).length > longest.length) longest = String(v); });
    if (longest) {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / (window.devicePixelRatio || 1);
    }
    return Math.ceil(size) + 2;
  }

  function niceMax(max, min) {
    if (!(max > 0)) return min > 0 ? min : 1;
    return max * 1.1;
  }

  function allNull(arr) {
    for (var i = 0; i < arr.length; i++) if (arr[i] != null) return false;
    return true;
  }

  function constant(n, v) {
    var out = new Array(n);
    for (var i = 0; i < n; i++) out[i] = v;
    return out;
  }

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }

  // pointTimes returns the points' times in Unix seconds, the step, and the
  // index of the last point when the API marks it partial (its step is
  // still filling, or cut short by the range's end), else -1.
  function pointTimes(j) {
    var pts = j.points || [];
    var xs = pts.map(function (p) { return toSec(p.t); });
    var step = j.step_seconds;
    if (!(step > 0)) step = (parseDuration(j.step) || 0) / 1000;
    if (!(step > 0) && xs.length > 1) step = xs[1] - xs[0];
    if (!(step > 0)) {
      var f = toSec(j.from), t = toSec(j.to);
      step = f != null && t != null && pts.length ? (t - f) / pts.length : 0;
    }
    var last = pts.length - 1;
    return { xs: xs, step: step, partial: last >= 0 && pts[last].partial === true ? last : -1 };
  }

  // Each builder turns a response into a chart spec: {series, axes, scales,
  // data, meta, sig} or {empty: "why"}. Scale ranges read `meta`, which a
  // reused chart keeps (its values are refreshed on every update).
  var builders = {
    sli: function (j) {
      var pts = j.points || [];
      var tx = pointTimes(j);
      var sli = pts.map(function (p) { return p.sli == null || p.total === 0 ? null : p.sli * 100; });
      if (!pts.length || allNull(sli)) return { empty: 'No traffic in this range.' };
      var obj = num(j.objective) != null ? j.objective * 100 : null;
      var series = [{ label: 'SLI', stroke: COLORS.blue, width: 1.5, value: function (u, v) { return fmtPct(v); } }];
      var data = [tx.xs, sli];
      if (obj != null) {
        series.push({ label: 'objective', stroke: COLORS.grey, width: 1, dash: [6, 4], points: { show: false }, partialAs: 'none',
          value: function (u, v) { return fmtPct(v); } });
        data.push(constant(pts.length, obj));
      }
      return {
        step: tx.step, partial: tx.partial, data: data, series: series,
        scales: { y: { range: function (u, min, max) {
          if (min == null) return [0, 100];
          var hi = Math.max(max, 100);
          var pad = Math.max((hi - min) * 0.12, 0.005);
          return [Math.max(0, min - pad), hi + pad * 0.25];
        } } },
        axes: [{ values: function (u, splits, ai, space, incr) {
          var d = decimals(incr);
          return splits.map(function (v) { return v > 100.0000001 ? '' : v.toFixed(d) + '%'; });
        } }]
      };
    },

    burndown: function (j) {
      var bd = j.burndown || [];
      if (!bd.length) return { empty: 'No burn-down for this window.' };
      var xs = bd.map(function (p) { return toSec(p.t); });
      var rem = bd.map(function (p) { return num(p.remaining) == null ? null : p.remaining * 100; });
      var even = bd.map(function (p) { return num(p.even) == null ? null : p.even * 100; });
      var x0 = toSec(j.window_start), x1 = toSec(j.window_end);
      var pctVal = function (u, v) { return v == null ? '–' : v.toFixed(1) + '%'; };
      return {
        step: 0, xRange: [x0 != null ? x0 : xs[0], x1 != null ? x1 : xs[xs.length - 1]],
        data: [xs, rem, even],
        series: [
          { label: 'budget left', stroke: COLORS.blue, width: 2, fill: alpha(COLORS.blue, 0.08), value: pctVal },
          { label: 'even burn', stroke: COLORS.grey, width: 1, dash: [6, 4], points: { show: false }, value: pctVal }
        ],
        scales: { y: { range: function (u, min, max) {
          var lo = Math.min(0, min == null ? 0 : min), hi = Math.max(100, max == null ? 100 : max);
          var pad = (hi - lo) * 0.04;
          return [lo < 0 ? lo - pad : 0, hi + pad];
        } } },
        axes: [{ values: function (u, splits) { return splits.map(function (v) { return +v.toFixed(1) + '%'; }); } }]
      };
    },

    burn: function (j) {
      var pts = j.points || [];
      var tx = pointTimes(j);
      var burn = pts.map(function (p) {
        var b = num(p.burn_rate);
        return p.total === 0 || b == null || b > 1e12 ? null : b;
      });
      if (!pts.length || allNull(burn)) return { empty: 'No traffic in this range.' };
      var series = [{ label: 'burn rate', stroke: COLORS.blue, width: 1.5, value: function (u, v) { return fmtBurn(v); } }];
      var data = [tx.xs, burn];
      var dashes = [[6, 4], [2, 3], [10, 3, 2, 3], [4, 4]];
      var bySev = {};
      (j.tiers || []).forEach(function (t) {
        var th = num(t.threshold);
        if (th == null || th > 1e12) return;
        var n = bySev[t.severity] = (bySev[t.severity] || 0) + 1;
        series.push({
          label: t.name || t.severity, width: 1, dash: dashes[(n - 1) % dashes.length], points: { show: false }, partialAs: 'none',
          stroke: t.severity === 'page' ? COLORS.red : t.severity === 'ticket' ? COLORS.amber : COLORS.grey,
          value: function (u, v) { return fmtBurn(v); }
        });
        data.push(constant(pts.length, th));
      });
      return {
        step: tx.step, partial: tx.partial, data: data, series: series,
        scales: { y: { range: function (u, min, max) { return [0, niceMax(max, 1)]; } } },
        axes: [{ values: function (u, splits, ai, space, incr) {
          var d = decimals(incr);
          return splits.map(function (v) { return v.toFixed(d) + '×'; });
        } }]
      };
    },

    volume: function (j, el) {
      var unit = el.getAttribute('data-unit') || 'requests';
      return goodBad(j.points || [], pointTimes(j),
        function (p) { return num(p.good) || 0; }, function (p) { return num(p.bad) || 0; },
        { main: 'good', bad: 'bad', unit: unit, empty: 'No ' + unit + ' in this range.' });
    },

    // A frontend app's page views and errored page views, and its API calls
    // and failed calls (a service's `browser`).
    pageviews: function (j) {
      var b = j.browser || {};
      return goodBad(b.points || [], pointTimes({ points: b.points, step: j.step, from: j.from, to: j.to }),
        function (p) { return num(p.page_views) || 0; }, function (p) { return num(p.error_page_views) || 0; },
        { main: 'page views', bad: 'with a JS error', unit: 'page views', badUnit: 'errors', empty: 'No page views in this range.' });
    },

    apicalls: function (j) {
      var b = j.browser || {};
      return goodBad(b.points || [], pointTimes({ points: b.points, step: j.step, from: j.from, to: j.to }),
        function (p) { return num(p.api_calls) || 0; }, function (p) { return num(p.api_failed) || 0; },
        { main: 'API calls', bad: 'failed', unit: 'calls', badUnit: 'failed', empty: 'No API calls in this range.' });
    },

    latency: function (j, el) {
      var pts = j.points || [];
      var tx = pointTimes(j);
      var keys = [['p50_ms', 'p50', COLORS.teal], ['p90_ms', 'p90', COLORS.blue], ['p99_ms', 'p99', COLORS.purple]];
      var data = [tx.xs], series = [];
      keys.forEach(function (k) {
        data.push(pts.map(function (p) { return num(p[k[0]]); }));
        series.push({ label: k[1], stroke: k[2], width: 1.5, value: function (u, v) { return fmtMs(v); } });
      });
      if (!pts.length || (allNull(data[1]) && allNull(data[2]) && allNull(data[3]))) {
        return { empty: 'No timed requests in this range.' };
      }
      var th = parseDuration(el.getAttribute('data-threshold'));
      if (th != null && th > 0) {
        series.push({ label: 'threshold ' + el.getAttribute('data-threshold'), stroke: COLORS.red, width: 1, dash: [6, 4],
          points: { show: false }, partialAs: 'none', value: function (u, v) { return fmtMs(v); } });
        data.push(constant(pts.length, th));
      }
      return {
        step: tx.step, partial: tx.partial, data: data, series: series,
        scales: { y: { range: function (u, min, max) { return [0, niceMax(max, 1)]; } } },
        axes: [{ values: function (u, splits, ai, space, incr) {
          var top = splits.length ? Math.max.apply(null, splits.map(Math.abs)) : 0;
          if (top >= 1000) {
            var d = decimals(incr / 1000);
            return splits.map(function (v) { return (v / 1000).toFixed(d) + ' s'; });
          }
          var dm = decimals(incr);
          return splits.map(function (v) { return v.toFixed(dm) + ' ms'; });
        } }]
      };
    },

    // capacity draws a service's daily peaks (the capacity API's days),
    // the forecast after them with its interval, and the declared
    // capacity's 80% and 100% lines.
    capacity: function (j) {
      var days = j.days || [], fc = j.forecast || [];
      if (!days.length || days.every(function (d) { return !(d.requests > 0); })) return { empty: 'No traffic stored for this service.' };
      var xs = [], peak = [], fit = [], lo = [], hi = [];
      days.forEach(function (d) {
        xs.push(Date.parse(d.date) / 1000);
        peak.push(d.requests > 0 ? num(d.peak_rps) : null);
        fit.push(null); lo.push(null); hi.push(null);
      });
      fc.forEach(function (p) {
        xs.push(Date.parse(p.date) / 1000);
        peak.push(null); fit.push(num(p.peak_rps)); lo.push(num(p.low)); hi.push(num(p.high));
      });
      var rps = function (u, v) { return v == null ? '–' : fmtNum(+v.toPrecision(4)) + ' rps'; };
      var series = [
        { label: 'daily peak', stroke: COLORS.blue, width: 1.5, value: rps },
        { label: 'forecast', stroke: COLORS.teal, width: 1.5, dash: [6, 4], value: rps },
        { label: 'interval', stroke: COLORS.grey, width: 1, dash: [2, 3], value: rps },
        { label: 'interval high', stroke: COLORS.grey, width: 1, dash: [2, 3], value: rps }
      ];
      var data = [xs, peak, fit, lo, hi];
      var cap = num(j.capacity_rps);
      if (cap != null) {
        series.push({ label: '80% of capacity', stroke: COLORS.amber, width: 1, dash: [8, 4], points: { show: false }, value: rps });
        data.push(constant(xs.length, cap * 0.8));
        series.push({ label: 'capacity', stroke: COLORS.red, width: 1, dash: [8, 4], points: { show: false }, value: rps });
        data.push(constant(xs.length, cap));
      }
      return {
        step: 86400, data: data, series: series,
        scales: { y: { range: function (u, min, max) { return [0, niceMax(max, 1)]; } } },
        axes: [{ label: 'requests / s', values: function (u, splits) { return splits.map(fmtShort); } }]
      };
    },

    classes: function (j) {
      var pts = j.points || [];
      var tx = pointTimes(j);
      var present = {};
      pts.forEach(function (p) {
        Object.keys(p.classes || {}).forEach(function (c) { if (p.classes[c] > 0) present[c] = true; });
      });
      var list = CLASS_ORDER.filter(function (c) { return present[c]; });
      Object.keys(present).sort().forEach(function (c) { if (list.indexOf(c) < 0) list.push(c); });
      if (!pts.length || !list.length) return { empty: 'No requests in this range.' };
      var data = [tx.xs], series = [];
      list.forEach(function (c) {
        data.push(pts.map(function (p) { return perMinute((p.classes && num(p.classes[c])) || 0, p, tx.step); }));
        series.push({ label: c === '-' ? 'no status' : c, stroke: CLASS_COLORS[c] || COLORS.slate, width: 1.5,
          value: function (u, v) { return fmtNum(v); } });
      });
      return {
        step: tx.step, partial: tx.partial, data: data, series: series,
        scales: { y: { range: function (u, min, max) { return [0, niceMax(max, 1)]; } } },
        axes: [{ label: 'requests / min',
          values: function (u, splits) { return splits.map(fmtShort); } }]
      };
    }
  };

  // goodBad charts a count and its bad part, per minute: the count as bars
  // against the left axis, the bad part as a red line on its own scale
  // against the right axis, so that one or two bad events a minute show
  // next to hundreds of good ones instead of vanishing at the bars' foot.
  // main and bad read a point's counts; names holds the series' labels
  // (main, bad), the axes' units (unit, badUnit) and the note without data
  // (empty).
  function goodBad(pts, tx, main, bad, names) {
    var a = pts.map(function (p) { return perMinute(main(p), p, tx.step); });
    var b = pts.map(function (p) { return perMinute(bad(p), p, tx.step); });
    var zero = function (v) { return v === 0; };
    if (!pts.length || (a.every(zero) && b.every(zero))) return { empty: names.empty };
    var rate = function (u, v) { return v == null ? '–' : fmtNum(v) + ' / min'; };
    return {
      step: tx.step, partial: tx.partial, data: [tx.xs, a, b],
      series: [
        { label: names.main, stroke: alpha(COLORS.blue, 0.9), fill: alpha(COLORS.blue, 0.3), width: 1,
          paths: uPlot.paths.bars({ size: [0.9, 80], align: 1 }), points: { show: false }, partialAs: 'bars', value: rate },
        { label: names.bad, scale: 'bad', stroke: COLORS.red, fill: alpha(COLORS.red, 0.12), width: 2,
          paths: uPlot.paths.stepped({ align: 1 }), points: { show: false }, partialAs: 'point', value: rate }
      ],
      scales: {
        y: { range: function (u, min, max) { return [0, niceMax(max, 1)]; } },
        bad: { range: function (u, min, max) { return [0, niceMax(max, 1)]; } }
      },
      axes: [
        { label: names.unit + ' / min', values: function (u, splits) { return splits.map(fmtShort); } },
        { scale: 'bad', side: 1, stroke: COLORS.red, grid: { show: false }, label: (names.badUnit || names.bad) + ' / min',
          values: function (u, splits, ai, space, incr) {
            var d = decimals(incr);
            return splits.map(function (v) { return v.toFixed(d); });
          } }
      ]
    };
  }

  // perMinute turns a step's count into a rate per minute over the time the
  // step covers (`seconds`: the last step of a range may be cut short), so
  // a partial last step does not look like a drop.
  function perMinute(n, p, step) {
    var secs = num(p.seconds) || step || 60;
    return secs > 0 ? n * 60 / secs : n;
  }

  // spec builds the chart of kind for response j; it returns
  // {empty} or {sig, meta, data, opts(el, meta)}.
  function spec(kind, j, el) {
    var b = builders[kind];
    if (!b) return { empty: 'Unknown chart kind "' + kind + '".' };
    if (!j || typeof j !== 'object') return { empty: 'No data.' };
    var s = b(j, el);
    if (s.empty) return s;
    var xs = s.data[0];
    var k = s.partial == null ? -1 : s.partial;
    if (k >= 0) splitPartial(s, k);
    var meta = {
      step: s.step || 0,
      xRange: s.xRange || [xs[0], xs[xs.length - 1] + (s.step || 0)],
      zoomed: false,
      // The partial last step: shaded on the chart, with a note under it.
      partial: k >= 0 ? { t: xs[k], end: xs[k] + (s.step || 0) } : null,
      // Change events (deploys…) of the SLO's service, marked on the chart.
      changes: (j.changes || []).map(function (c) {
        return { t: Date.parse(c.at) / 1000, label: c.version || c.kind || 'change' };
      }),
      // Maintenance windows of the service: shaded, their events left out
      // of SLIs (traffic charts still count them).
      maintenance: (j.maintenance || []).map(function (w) {
        return { t0: Date.parse(w.start) / 1000, t1: Date.parse(w.end) / 1000, label: w.note || 'maintenance' };
      })
    };
    if (!(meta.xRange[1] > meta.xRange[0])) meta.xRange = [meta.xRange[0] - 1800, meta.xRange[0] + 1800];
    var sig = kind + '|' + s.series.map(function (x) { return x.label + ':' + x.stroke; }).join(',');
    return {
      sig: sig, meta: meta, data: s.data,
      opts: function (el, meta) { return makeOpts(el, s, meta); }
    };
  }

  // splitPartial takes the partial step k (the last) out of each series of
  // spec s and draws it apart, so that a step still filling does not read as
  // a drop: a hollow dashed bar for bars, a dashed last segment for lines, a
  // hollow point for a stepped line. The copies' legend rows are hidden
  // (class u-partial); the series' own legend shows the partial value, so
  // marked. Series with partialAs 'none' (objectives, thresholds) are left
  // whole.
  function splitPartial(s, k) {
    var n = s.series.length;
    for (var i = 0; i < n; i++) {
      var ser = s.series[i], col = s.data[i + 1];
      var as = ser.partialAs || 'line';
      delete ser.partialAs;
      if (as === 'none' || col[k] == null) continue;
      var part = constant(col.length, null);
      part[k] = col[k];
      if (as === 'line' && k > 0) part[k - 1] = col[k - 1];
      var main = col.slice();
      main[k] = null;
      s.data[i + 1] = main;
      s.data.push(part);
      var copy = Object.assign({}, ser, {
        label: ser.label + ' (partial)', class: 'u-partial', dash: [4, 3],
        // a hollow point at the partial step only
        points: { show: false, size: 7, width: 1.5, fill: cssVar('--panel', '#fff'),
          filter: as === 'bars' ? null : function () { return [k]; } }
      });
      if (as === 'bars') copy.fill = alpha(COLORS.blue, 0.06);
      s.series.push(copy);
      ser.value = partialValue(ser.value, s.series.length);
    }
  }

  // partialValue wraps a legend value formatter so that the partial step,
  // drawn by the copy of the series at index ci of the chart's data, shows
  // its value marked "so far". It reads the chart's data, which a refresh
  // replaces.
  function partialValue(fmt, ci) {
    var show = fmt || function (u, x) { return fmtNum(x); };
    return function (u, x, si, i) {
      var part = u.data[ci];
      if (i != null && part && i === part.length - 1 && part[i] != null) return show(u, part[i], si, i) + ' so far';
      return show(u, x, si, i);
    };
  }

  // drawPartial shades the partial step (partialNote says what it is).
  function drawPartial(u, part) {
    if (!part) return;
    var b = u.bbox;
    var x0 = Math.max(b.left, u.valToPos(part.t, 'x', true));
    var x1 = Math.min(b.left + b.width, u.valToPos(part.end, 'x', true));
    if (!(x1 > x0)) return;
    u.ctx.save();
    u.ctx.fillStyle = cssVar('--chart-partial', 'rgba(100, 116, 139, 0.12)');
    u.ctx.fillRect(x0, b.top, x1 - x0, b.height);
    u.ctx.restore();
  }

  // partialNote puts under a chart the note on its partial step, if any.
  function partialNote(el, part) {
    if (!part) return;
    var p = document.createElement('p');
    p.className = 'chart-partial';
    p.textContent = 'Shaded, dashed, hollow: the last step (' + fmtSpan(part.t, part.end - part.t) +
      ') is partial, still being counted, not a drop.';
    el.appendChild(p);
  }

  function makeOpts(el, s, meta) {
    var axisColor = cssVar('--chart-axis', '#5b6672');
    var gridColor = cssVar('--chart-grid', 'rgba(0,0,0,0.07)');
    var font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    var base = function () {
      return {
        stroke: axisColor, font: font, labelFont: font, labelSize: 16, labelGap: 0,
        grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1, size: 4 }
      };
    };
    var xAxis = Object.assign(base(), { values: TIME_VALUES, space: 60 });
    var yAxes = s.axes.map(function (a) { return Object.assign(base(), { size: axisSize }, a); });
    // The x scale spans the whole range (the last step included) when
    // auto-ranged from the data, and what was asked for on a zoom.
    var xRange = function (u, min, max) {
      var xs = u.data && u.data[0];
      if (!xs || !xs.length || (min === xs[0] && max === xs[xs.length - 1])) return [meta.xRange[0], meta.xRange[1]];
      return [min, max];
    };
    var sync = el.getAttribute('data-chart') === 'burndown' ? null : 'hr|' + srcPath(el);
    var opts = {
      width: chartWidth(el), height: HEIGHT,
      tzDate: tzDate,
      legend: { show: true, live: true },
      cursor: { points: { size: 6 }, drag: { x: true, y: false, setScale: true } },
      scales: Object.assign({ x: { time: true, range: xRange } }, s.scales),
      series: [{ label: 'time', value: function (u, v) { return v == null ? '–' : fmtSpan(v, meta.step); } }].concat(s.series),
      axes: [xAxis].concat(yAxes),
      hooks: {
        setScale: [function (u, key) {
          if (key !== 'x') return;
          var sc = u.scales.x;
          meta.zoomed = sc.min > meta.xRange[0] + 0.5 || sc.max < meta.xRange[1] - 0.5;
        }],
        drawAxes: [function (u) { drawPartial(u, meta.partial); drawMaintenance(u, meta.maintenance, axisColor, font); }],
        draw: [function (u) { drawChanges(u, meta.changes, axisColor, font); }]
      }
    };
    if (sync) opts.cursor.sync = { key: sync };
    return opts;
  }

  // drawMaintenance shades each maintenance window, labelled at its start.
  function drawMaintenance(u, windows, color, font) {
    if (!windows || !windows.length) return;
    var ctx = u.ctx, b = u.bbox, dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = font.replace(/(\d+)px/, function (m, n) { return (n * dpr) + 'px'; });
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    windows.forEach(function (w) {
      var t0 = Math.max(w.t0, u.scales.x.min), t1 = Math.min(w.t1, u.scales.x.max);
      if (!(t1 > t0)) return;
      var x0 = Math.round(u.valToPos(t0, 'x', true)), x1 = Math.round(u.valToPos(t1, 'x', true));
      ctx.fillStyle = 'rgba(128, 128, 128, 0.18)';
      ctx.fillRect(x0, b.top, Math.max(x1 - x0, dpr), b.height);
      ctx.fillStyle = color;
      ctx.fillText('⚙ ' + w.label, x0 + 3 * dpr, b.top + b.height - 4 * dpr);
    });
    ctx.restore();
  }

  // drawChanges marks each change with a dashed vertical line and its label.
  function drawChanges(u, changes, color, font) {
    if (!changes || !changes.length) return;
    var ctx = u.ctx, b = u.bbox, dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.font = font.replace(/(\d+)px/, function (m, n) { return (n * dpr) + 'px'; });
    changes.forEach(function (c) {
      if (c.t < u.scales.x.min || c.t > u.scales.x.max) return;
      var x = Math.round(u.valToPos(c.t, 'x', true));
      ctx.beginPath();
      ctx.moveTo(x, b.top);
      ctx.lineTo(x, b.top + b.height);
      ctx.stroke();
      ctx.fillText(c.label, x + 3 * dpr, b.top + 10 * dpr);
    });
    ctx.restore();
  }

  function srcPath(el) {
    var src = el.getAttribute('data-src') || '';
    var q = src.indexOf('?');
    return q < 0 ? src : src.slice(0, q);
  }

  function chartWidth(el) {
    var w = Math.floor(el.clientWidth || 0);
    return w > 50 ? w : 600;
  }

  // ---- chart lifecycle ----------------------------------------------------

  function note(el, text, isError) {
    el.removeAttribute('aria-busy');
    while (el.firstChild) el.removeChild(el.firstChild);
    var p = document.createElement('p');
    p.className = 'chart-note' + (isError ? ' chart-error' : '');
    p.textContent = text;
    el.appendChild(p);
  }

  function destroy(c) {
    if (!c || c.dead) return;
    c.dead = true;
    try { c.u.destroy(); } catch (e) { /* already gone */ }
  }

  // render draws one chart into el from response j, reusing old (the chart
  // of the same place before a refresh) when its series are unchanged, so
  // the cursor and any zoom survive the update. It returns the live entry,
  // or null when it drew a note instead.
  function render(el, j, old) {
    var kind = el.getAttribute('data-chart');
    var s = spec(kind, j, el);
    if (s.empty) {
      destroy(old);
      note(el, s.empty);
      el.setAttribute('data-points', '0');
      return null;
    }
    // How many values the chart plots (tests check that data was drawn), and
    // the start of the partial step it marks.
    el.setAttribute('data-points', String(countValues(s.data)));
    el.setAttribute('data-maintenance', String(s.meta.maintenance.length));
    if (s.meta.partial) el.setAttribute('data-partial', new Date(s.meta.partial.t * 1000).toISOString());
    else el.removeAttribute('data-partial');
    el.removeAttribute('aria-busy');
    if (old && !old.dead && old.sig === s.sig) {
      var zoom = old.meta.zoomed ? { min: old.u.scales.x.min, max: old.u.scales.x.max } : null;
      old.meta.step = s.meta.step;
      old.meta.xRange = s.meta.xRange;
      old.meta.changes = s.meta.changes;
      old.meta.maintenance = s.meta.maintenance;
      old.meta.partial = s.meta.partial;
      while (el.firstChild) el.removeChild(el.firstChild);
      el.appendChild(old.u.root);
      partialNote(el, old.meta.partial);
      old.el = el;
      var w = chartWidth(el);
      if (w !== old.u.width) old.u.setSize({ width: w, height: HEIGHT });
      if (zoom) {
        old.u.setData(s.data, false);
        old.u.setScale('x', zoom);
      } else {
        old.u.setData(s.data);
      }
      return old;
    }
    destroy(old);
    while (el.firstChild) el.removeChild(el.firstChild);
    var meta = s.meta;
    var u = new uPlot(s.opts(el, meta), s.data, el);
    partialNote(el, meta.partial);
    return { el: el, u: u, sig: s.sig, meta: meta, dead: false };
  }

  function countValues(data) {
    var n = 0;
    for (var i = 1; i < data.length; i++) {
      for (var k = 0; k < data[i].length; k++) if (data[i][k] != null) n++;
    }
    return n;
  }

  function chartEls(root) {
    return Array.prototype.slice.call(root.querySelectorAll('div.chart[data-chart]'));
  }

  // chartKey names a chart's place on the page, to match it across refreshes.
  function chartKeys(els) {
    var seen = {};
    return els.map(function (el) {
      var k = el.getAttribute('data-chart') + '|' + srcPath(el) + '|' + (el.getAttribute('data-threshold') || '');
      seen[k] = (seen[k] || 0) + 1;
      return k + '|' + seen[k];
    });
  }

  function withTimeout(init) {
    if (typeof AbortController === 'undefined') return { init: init, done: function () {} };
    var ac = new AbortController();
    var t = setTimeout(function () { ac.abort(); }, FETCH_TIMEOUT);
    init.signal = ac.signal;
    return { init: init, done: function () { clearTimeout(t); } };
  }

  function getJSON(url) {
    var req = withTimeout({ credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
    return fetch(url, req.init).then(function (r) {
      return r.json().then(function (j) {
        req.done();
        if (!r.ok) {
          var msg = j && j.error && j.error.message ? j.error.message : 'HTTP ' + r.status;
          return { ok: false, msg: 'Could not load the data: ' + msg };
        }
        return { ok: true, j: j };
      }, function () {
        req.done();
        return { ok: false, msg: 'Could not load the data (HTTP ' + r.status + ').' };
      });
    }, function () {
      req.done();
      return { ok: false, network: true, msg: 'Could not load the data.' };
    });
  }

  // load fetches every chart's data once per distinct URL.
  function load(els) {
    var byURL = {};
    els.forEach(function (el) {
      var src = el.getAttribute('data-src');
      if (src && !byURL[src]) byURL[src] = getJSON(src);
    });
    var urls = Object.keys(byURL);
    return Promise.all(urls.map(function (u) { return byURL[u]; })).then(function (res) {
      var out = {};
      urls.forEach(function (u, i) { out[u] = res[i]; });
      return out;
    });
  }

  // draw renders els from the loaded responses; previous charts are reused
  // where they match and destroyed otherwise.
  function draw(els, responses, previous) {
    var old = {};
    if (previous) {
      chartKeys(previous.map(function (c) { return c.el; })).forEach(function (k, i) { old[k] = previous[i]; });
    }
    var next = [];
    var keys = chartKeys(els);
    els.forEach(function (el, i) {
      var prev = old[keys[i]];
      delete old[keys[i]];
      try {
        if (typeof uPlot === 'undefined') {
          note(el, 'Charts are unavailable (uPlot did not load).', true);
          return;
        }
        var r = responses[el.getAttribute('data-src')];
        if (!r) {
          destroy(prev);
          note(el, 'No data source.', true);
          return;
        }
        if (!r.ok) {
          destroy(prev);
          note(el, r.msg, true);
          return;
        }
        var c = render(el, r.j, prev);
        if (c) next.push(c);
      } catch (e) {
        destroy(prev);
        try { note(el, 'This chart could not be drawn.', true); } catch (e2) { /* ignore */ }
        el.setAttribute('data-error', String(e && e.message || e));
      }
    });
    Object.keys(old).forEach(function (k) { destroy(old[k]); });
    charts = next;
    observe();
  }

  // ---- resizing -----------------------------------------------------------

  var resizeQueued = false;

  function resizeAll() {
    resizeQueued = false;
    charts.forEach(function (c) {
      if (c.dead || !c.el.isConnected) return;
      try {
        var w = chartWidth(c.el);
        if (w !== c.u.width) c.u.setSize({ width: w, height: HEIGHT });
      } catch (e) { /* keep the others going */ }
    });
  }

  function queueResize() {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(resizeAll);
  }

  function observe() {
    if (typeof ResizeObserver === 'undefined') return;
    if (!resizeObs) resizeObs = new ResizeObserver(queueResize);
    resizeObs.disconnect();
    charts.forEach(function (c) { resizeObs.observe(c.el); });
  }

  window.addEventListener('resize', queueResize);

  // ---- live refresh -------------------------------------------------------

  var refreshMs = parseInt(document.body.getAttribute('data-refresh-ms'), 10) || 0;
  var busy = false;
  var failures = 0;

  // userBusy reports whether a refresh now would get in the user's way:
  // focus or unsent edits in a form, or a text selection inside #main.
  function userBusy() {
    var a = document.activeElement;
    if (a && a !== document.body && main.contains(a) &&
        (a.closest('form') || /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName))) return true;
    var inputs = main.querySelectorAll('form input, form select, form textarea');
    for (var i = 0; i < inputs.length; i++) {
      var f = inputs[i];
      if (f.type === 'hidden') continue;
      if (f.tagName === 'SELECT') {
        for (var o = 0; o < f.options.length; o++) if (f.options[o].selected !== f.options[o].defaultSelected) return true;
      } else if (f.type === 'checkbox' || f.type === 'radio') {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    var sel = window.getSelection && window.getSelection();
    if (sel && !sel.isCollapsed && sel.rangeCount && main.contains(sel.getRangeAt(0).commonAncestorContainer)) return true;
    return false;
  }

  function summaryText(d) {
    var s = d.querySelector('summary');
    return s ? s.textContent.trim() : '';
  }

  function openDetails() {
    return Array.prototype.map.call(main.querySelectorAll('details'), function (d, i) {
      return { i: i, text: summaryText(d), open: d.open };
    });
  }

  function restoreDetails(before) {
    var openByText = {}, openByIndex = {};
    before.forEach(function (b) {
      if (!b.open) return;
      if (b.text) openByText[b.text] = (openByText[b.text] || 0) + 1;
      else openByIndex[b.i] = true;
    });
    Array.prototype.forEach.call(main.querySelectorAll('details'), function (d, i) {
      var t = summaryText(d);
      if (t && openByText[t]) {
        openByText[t]--;
        d.open = true;
      } else if (!t && openByIndex[i]) {
        d.open = true;
      }
    });
  }

  function setOffline(off) {
    var asof = document.getElementById('asof');
    if (!asof) return;
    var mark = asof.querySelector('.offline');
    if (off && !mark) {
      mark = document.createElement('span');
      mark.className = 'offline';
      mark.setAttribute('role', 'status');
      mark.textContent = 'offline, retrying';
      asof.appendChild(mark);
    } else if (!off && mark) {
      mark.parentNode.removeChild(mark);
    }
    asof.classList.toggle('stale', !!off);
  }

  // setAsOf moves the header's time to the server's clock (its Date header):
  // the partial response carries only #main.
  function setAsOf(dateHeader) {
    var ms = Date.parse(dateHeader || '');
    var asof = document.getElementById('asof');
    var time = asof && asof.querySelector('time');
    if (!isFinite(ms) || !time) return;
    var d = new Date(ms);
    time.setAttribute('datetime', d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    time.textContent = dayUTC(d) + ' ' + hmUTC(d) + ' UTC';
  }

  function schedule() {
    var wait = refreshMs;
    if (failures > 0) wait = Math.min(refreshMs * Math.pow(2, failures), Math.max(MAX_BACKOFF, refreshMs));
    setTimeout(tick, wait);
  }

  function tick() {
    if (busy) return;
    if (document.hidden || userBusy()) {
      schedule();
      return;
    }
    busy = true;
    var date = null;
    var req = withTimeout({ credentials: 'same-origin', cache: 'no-store', headers: {} });
    req.init.headers[PARTIAL] = '1';
    fetch(location.href, req.init).then(function (r) {
      var type = r.headers.get('Content-Type') || '';
      // 4xx pages (an SLO removed from the config, say) are the truth;
      // 5xx and anything not HTML keep the old content.
      if (r.status >= 500 || type.indexOf('text/html') < 0) throw new Error('HTTP ' + r.status);
      date = r.headers.get('Date');
      return r.text();
    }).then(function (html) {
      req.done();
      var tpl = document.createElement('template');
      tpl.innerHTML = html;
      // A whole page (a server that ignored the header) gives its #main.
      var root = tpl.content.querySelector('main#main') || tpl.content;
      return load(chartEls(root)).then(function (responses) {
        Object.keys(responses).forEach(function (u) {
          if (responses[u].network) throw new Error('offline');
        });
        if (userBusy()) return; // the user started something meanwhile: try again later
        var details = openDetails();
        var previous = charts;
        while (main.firstChild) main.removeChild(main.firstChild);
        while (root.firstChild) main.appendChild(document.adoptNode(root.firstChild));
        restoreDetails(details);
        draw(chartEls(main), responses, previous);
        setAsOf(date);
      });
    }).then(function () {
      failures = 0;
      setOffline(false);
    }, function () {
      req.done();
      failures++;
      setOffline(true);
    }).then(function () {
      busy = false;
      schedule();
    });
  }

  // ---- start --------------------------------------------------------------

  // noFavicon keeps browsers from asking for /favicon.ico, which the
  // server does not have (a 404 shows as a console error).
  function noFavicon() {
    if (document.querySelector('link[rel~="icon"]')) return;
    var l = document.createElement('link');
    l.rel = 'icon';
    l.href = 'data:,';
    document.head.appendChild(l);
  }

  function start() {
    noFavicon();
    if (!main) return;
    var els = chartEls(main);
    var first = els.length ? load(els).then(function (responses) { draw(els, responses, null); }) : Promise.resolve();
    first.then(function () {
      if (refreshMs > 0) schedule();
    }, function () {
      if (refreshMs > 0) schedule();
    });
  }

  // For tests and the console: the live uPlot instances.
  window.headroom = { charts: function () { return charts.map(function (c) { return c.u; }); } };

  start();
})();
