package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/tail"
)

// SourcesFunc returns the state of each configured log, its Behind
// counting every byte not committed to the store; an error when it cannot
// tell (the store cannot be read).
type SourcesFunc func(ctx context.Context) ([]tail.State, error)

// metrics is /metrics, the Prometheus exposition (documented in
// docs/metrics.md). SLO and tailer numbers are computed when scraped, from
// the engine and the tailer's state; the process, Go runtime and HTTP
// request metrics live in a private registry.
type metrics struct {
	rum       Beacons
	engine    Engine
	sources   SourcesFunc
	storeSize func() int64
	now       func() time.Time
	log       *slog.Logger
	// timeout bounds one scrape's SLO evaluation.
	timeout time.Duration

	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
	allTime  allTime
}

// epoch is where the all-time counters start: before any stored day.
var epoch = time.Unix(0, 0).UTC()

// scrapeTimeoutHeader is how Prometheus tells its scrape timeout.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

func newMetrics(opts Options) *metrics {
	m := &metrics{
		engine: opts.Engine, sources: opts.Sources, storeSize: opts.StoreSize, rum: opts.RUM,
		now: opts.Now, log: opts.Log, timeout: opts.Timeout,
		reg: prometheus.NewRegistry(),
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.timeout <= 0 {
		m.timeout = 10 * time.Second
	}
	// Leave a quarter of the request's time to encode and send the answer
	// before the server's own timeout answers 503.
	m.timeout = m.timeout * 3 / 4
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "headroom_http_request_duration_seconds",
		Help: "Time in seconds headroom's HTTP server took to answer a request, by route pattern (handler), method and status code.",
		// DefBuckets (5 ms to 10 s) span the server's default 10 s timeout.
		Buckets: prometheus.DefBuckets,
	}, []string{"handler", "method", "code"})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.duration,
	)
	return m
}

// handler serves the exposition. Every scrape gets its own collector bound
// to the request's context (a prometheus.Collector has no context of its
// own), so a cancelled or timed-out scrape stops reading the store.
func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), m.scrapeTimeout(r))
		defer cancel()
		scrape := prometheus.NewRegistry()
		scrape.MustRegister(&collector{m: m, ctx: ctx})
		promhttp.HandlerFor(prometheus.Gatherers{m.reg, scrape}, promhttp.HandlerOpts{
			ErrorLog: promLogger{m.log},
			// Serve what could be gathered rather than nothing.
			ErrorHandling: promhttp.ContinueOnError,
		}).ServeHTTP(w, r)
	})
}

// scrapeTimeout is the server's bound, or less when Prometheus says it gives
// up sooner.
func (m *metrics) scrapeTimeout(r *http.Request) time.Duration {
	d := m.timeout
	if v, err := strconv.ParseFloat(r.Header.Get(scrapeTimeoutHeader), 64); err == nil && v > 0 && v < 1e6 {
		if p := time.Duration(v * 0.9 * float64(time.Second)); p < d {
			d = p
		}
	}
	return d
}

// instrument observes the duration of every request to h; pattern, the
// route's mux pattern, is the handler label, so the label values are the
// server's fixed set of routes.
func (m *metrics) instrument(pattern string, h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(prometheus.Labels{"handler": pattern}), h)
}

// connections exposes the listener's connection counts.
func (m *metrics) connections(l *connLimit) {
	m.reg.MustRegister(connCollector{l})
}

// connCollector reads the listener's counts, once per scrape.
type connCollector struct{ l *connLimit }

var (
	descConnsOpen = prometheus.NewDesc("headroom_http_connections_open",
		"Connections to headroom's HTTP server open now; bounded (1024 by default).", nil, nil)
	descConnsIdle = prometheus.NewDesc("headroom_http_connections_idle",
		"Open connections waiting idle between requests (keep-alive); bounded (256 by default).", nil, nil)
	descConnsRefused = prometheus.NewDesc("headroom_http_connections_refused_total",
		"New connections closed at once because every open connection was busy with a request.", nil, nil)
	descConnsEvicted = prometheus.NewDesc("headroom_http_connections_evicted_total",
		"Quiet connections (idle, or without a request yet) closed to make room, at the bound of open or of idle connections.", nil, nil)
)

func (c connCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descConnsOpen
	ch <- descConnsIdle
	ch <- descConnsRefused
	ch <- descConnsEvicted
}

func (c connCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.l.stats()
	ch <- prometheus.MustNewConstMetric(descConnsOpen, prometheus.GaugeValue, float64(st.open))
	ch <- prometheus.MustNewConstMetric(descConnsIdle, prometheus.GaugeValue, float64(st.idle))
	ch <- prometheus.MustNewConstMetric(descConnsRefused, prometheus.CounterValue, float64(st.refused))
	ch <- prometheus.MustNewConstMetric(descConnsEvicted, prometheus.CounterValue, float64(st.evicted))
}

// promLogger sends promhttp's errors to the server's log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Warn(strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

// Descriptions of the metrics computed at scrape time.
var (
	sloLabels = []string{"slo", "service"}
	logLabels = []string{"service", "log"}

	descSLI = prometheus.NewDesc("headroom_slo_sli_ratio",
		"Share (0-1) of the SLO's events in its current window that were good. Absent while the window has no events.",
		sloLabels, nil)
	descObjective = prometheus.NewDesc("headroom_slo_objective_ratio",
		"The SLO's objective as a ratio (0-1): 99.9% is 0.999.",
		sloLabels, nil)
	descErrorBudget = prometheus.NewDesc("headroom_slo_error_budget_ratio",
		"The SLO's error budget as a ratio (0-1) of events allowed to be bad: 1 - objective.",
		sloLabels, nil)
	descBudgetRemaining = prometheus.NewDesc("headroom_slo_error_budget_remaining_ratio",
		"Share of the error budget of the SLO's current window left: 1 - (bad/total)/error budget; 1 without events, negative when overspent.",
		sloLabels, nil)
	descBurnRate = prometheus.NewDesc("headroom_slo_burn_rate",
		"How fast the SLO's error budget burns over the trailing window (5m, 30m, 1h, 2h, 6h, 1d, 3d): (bad/total)/error budget; 1 spends exactly the budget over the SLO's period, 0 without events.",
		[]string{"slo", "service", "window"}, nil)
	descWindowEvents = prometheus.NewDesc("headroom_slo_window_events",
		"Events (requests) of the SLO in its current window, by kind: total, good or bad (total - good).",
		[]string{"slo", "service", "kind"}, nil)
	descEvents = prometheus.NewDesc("headroom_slo_events_total",
		"Events (requests) counted toward the SLO since its service's first stored day. Lowered only when retention deletes day cells (kept forever by default).",
		sloLabels, nil)
	descGoodEvents = prometheus.NewDesc("headroom_slo_good_events_total",
		"Good events of the SLO since its service's first stored day. Lowered only when retention deletes day cells (kept forever by default).",
		sloLabels, nil)

	descLines = prometheus.NewDesc("headroom_ingest_lines_total",
		"Log lines read from the configured log (path or glob) by this process since it started.",
		logLabels, nil)
	descMalformed = prometheus.NewDesc("headroom_ingest_malformed_total",
		"Log lines from the configured log that could not be parsed, since this process started.",
		logLabels, nil)
	descUnmatched = prometheus.NewDesc("headroom_ingest_unmatched_total",
		"Log lines from the configured log that no service's match took (services[].match), since this process started.",
		logLabels, nil)
	descReadErrors = prometheus.NewDesc("headroom_tail_read_errors_total",
		"Files of the configured log that failed to read (a corrupt .gz, permission denied), once per change of the file, since this process started.",
		logLabels, nil)
	descBehind = prometheus.NewDesc("headroom_tail_bytes_behind",
		"Bytes present in the configured log's files but not read yet, as of the last poll.",
		logLabels, nil)
	descLag = prometheus.NewDesc("headroom_tail_lag_seconds",
		"Seconds since new lines were last read from the configured log. Absent until lines were read.",
		logLabels, nil)
	descLastPoll = prometheus.NewDesc("headroom_tail_last_poll_timestamp_seconds",
		"When the configured log was last polled, as a Unix timestamp in seconds. Absent before the first poll.",
		logLabels, nil)
	descStoreSize = prometheus.NewDesc("headroom_store_size_bytes",
		"Size of the store on disk, in bytes.",
		nil, nil)
	descBeacons = prometheus.NewDesc("headroom_rum_beacons_total",
		"Browser beacons received at /api/v1/rum, by result: accepted, or the reason they were refused (too_large, malformed, unknown_app, origin, rate_limited, unavailable).",
		[]string{"result"}, nil)
	descRUMEvents = prometheus.NewDesc("headroom_rum_events_total",
		"Browser events counted (page views, vitals, errors, API calls), each event id once.",
		nil, nil)
	descRUMDuplicates = prometheus.NewDesc("headroom_rum_duplicate_events_total",
		"Browser events dropped because their id had been counted already (a beacon sent twice).",
		nil, nil)
	descRUMIgnored = prometheus.NewDesc("headroom_rum_ignored_events_total",
		"Browser events of accepted beacons not counted, by reason: no_page_view (their page view did not come within 30 s, or was forgotten) or over_limit (past what one page view counts: one error, one value of each vital, 1,000 API calls).",
		[]string{"reason"}, nil)
	descRUMWaiting = prometheus.NewDesc("headroom_rum_waiting_events",
		"Browser events waiting for their page view's beacon (at most 30 s).",
		nil, nil)
	descRUMHeld = prometheus.NewDesc("headroom_rum_held_counts",
		"Aggregated browser counts not committed to the store yet; it grows while commits fail, and past 262,144 beacons are refused with 503.",
		nil, nil)
	descScrapeError = prometheus.NewDesc("headroom_scrape_error",
		"1 if this scrape could not compute every SLO or log metric (the error is logged; the affected series are absent), else 0.",
		nil, nil)
)

// collector computes one scrape's metrics; ctx is the scrape's.
type collector struct {
	m   *metrics
	ctx context.Context
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descSLI, descObjective, descErrorBudget, descBudgetRemaining, descBurnRate, descWindowEvents,
		descEvents, descGoodEvents, descLines, descMalformed, descUnmatched, descReadErrors, descBehind, descLag, descLastPoll,
		descStoreSize, descScrapeError, descBeacons, descRUMEvents, descRUMDuplicates, descRUMIgnored, descRUMWaiting, descRUMHeld,
	} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	now := c.m.now().UTC()
	ok := true
	if c.m.engine != nil {
		ok = c.collectSLOs(now, ch)
	}
	ok = c.collectSources(now, ch) && ok
	if c.m.storeSize != nil {
		ch <- prometheus.MustNewConstMetric(descStoreSize, prometheus.GaugeValue, float64(c.m.storeSize()))
	}
	if c.m.rum != nil {
		st := c.m.rum.Stats()
		ch <- prometheus.MustNewConstMetric(descBeacons, prometheus.CounterValue, float64(st.Accepted), "accepted")
		for reason, n := range st.Rejected {
			ch <- prometheus.MustNewConstMetric(descBeacons, prometheus.CounterValue, float64(n), reason)
		}
		ch <- prometheus.MustNewConstMetric(descRUMEvents, prometheus.CounterValue, float64(st.Events))
		ch <- prometheus.MustNewConstMetric(descRUMDuplicates, prometheus.CounterValue, float64(st.Duplicates))
		for _, reason := range []string{"no_page_view", "over_limit"} {
			ch <- prometheus.MustNewConstMetric(descRUMIgnored, prometheus.CounterValue, float64(st.Ignored[reason]), reason)
		}
		ch <- prometheus.MustNewConstMetric(descRUMWaiting, prometheus.GaugeValue, float64(st.Waiting))
		ch <- prometheus.MustNewConstMetric(descRUMHeld, prometheus.GaugeValue, float64(st.Held))
	}
	failed := 0.0
	if !ok {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(descScrapeError, prometheus.GaugeValue, failed)
}

// collectSLOs sends every SLO's metrics; false if any could not be computed.
func (c *collector) collectSLOs(now time.Time, ch chan<- prometheus.Metric) bool {
	slos, err := c.m.engine.SLOs(c.ctx, now, "")
	if err != nil {
		c.m.log.Error("metrics: evaluate SLOs", "err", err)
		return false
	}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	ok := true
	seen := map[string]bool{}
	for _, s := range slos {
		if seen[s.Name] {
			continue // names are unique in a valid config; never expose a duplicate series
		}
		seen[s.Name] = true
		if !s.NoData {
			gauge(descSLI, s.SLI, s.Name, s.Service)
		}
		gauge(descObjective, decimal(s.Objective/100), s.Name, s.Service)
		gauge(descErrorBudget, decimal(s.ErrorBudget), s.Name, s.Service)
		gauge(descBudgetRemaining, s.BudgetRemaining, s.Name, s.Service)
		for w, b := range s.BurnRates {
			if b != nil { // a window the store cannot answer exactly has no sample
				gauge(descBurnRate, *b, s.Name, s.Service, w)
			}
		}
		gauge(descWindowEvents, s.Total, s.Name, s.Service, "total")
		gauge(descWindowEvents, s.Good, s.Name, s.Service, "good")
		gauge(descWindowEvents, s.Bad, s.Name, s.Service, "bad")

		all, err := c.m.allTime.counts(c.ctx, c.m.engine, s.Name, now)
		if err != nil {
			c.m.log.Error("metrics: count SLO events", "slo", s.Name, "err", err)
			ok = false
			continue
		}
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, all.Total, s.Name, s.Service)
		ch <- prometheus.MustNewConstMetric(descGoodEvents, prometheus.CounterValue, all.Good, s.Name, s.Service)
	}
	return ok
}

// decimal rounds a ratio derived from a configured percentage to 12
// significant digits, so 99.9% shows as 0.999 and its budget as 0.001
// rather than with float noise.
func decimal(f float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	if err != nil {
		return f
	}
	return r
}

// collectSources sends the tailer's metrics per configured log; false if
// the logs' states could not be read.
func (c *collector) collectSources(now time.Time, ch chan<- prometheus.Metric) bool {
	if c.m.sources == nil {
		return true
	}
	states, err := c.m.sources(c.ctx)
	if err != nil {
		c.m.log.Error("metrics: read the logs' states", "err", err)
		return false
	}
	seen := map[[2]string]bool{}
	for _, st := range states {
		k := [2]string{st.Service, st.Log}
		if seen[k] {
			continue
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(descLines, prometheus.CounterValue, float64(st.Lines), st.Service, st.Log)
		ch <- prometheus.MustNewConstMetric(descMalformed, prometheus.CounterValue, float64(st.Malformed), st.Service, st.Log)
		ch <- prometheus.MustNewConstMetric(descUnmatched, prometheus.CounterValue, float64(st.Unmatched), st.Service, st.Log)
		ch <- prometheus.MustNewConstMetric(descReadErrors, prometheus.CounterValue, float64(st.ReadErrors), st.Service, st.Log)
		ch <- prometheus.MustNewConstMetric(descBehind, prometheus.GaugeValue, float64(st.Behind), st.Service, st.Log)
		if !st.LastData.IsZero() {
			lag := max(now.Sub(st.LastData).Seconds(), 0)
			ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, lag, st.Service, st.Log)
		}
		if !st.LastPoll.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastPoll, prometheus.GaugeValue,
				float64(st.LastPoll.UnixNano())/1e9, st.Service, st.Log)
		}
	}
	return true
}

// allTime computes the all-time event counters of SLOs: the events of
// complete UTC days, summed once a day from the day cells and cached, plus
// today's so far, read at every scrape.
type allTime struct {
	mu sync.Mutex
	// day is the start of the UTC day the cached sums end at.
	day time.Time
	// past holds, by SLO name, the events over [epoch, day).
	past map[string]slo.Counts
}

// counts returns the events of SLO name over [epoch, now].
func (a *allTime) counts(ctx context.Context, e Engine, name string, now time.Time) (slo.Counts, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	a.mu.Lock()
	if !a.day.Equal(today) {
		a.day, a.past = today, map[string]slo.Counts{}
	}
	past, ok := a.past[name]
	a.mu.Unlock()
	if !ok {
		var err error
		if past, err = e.Counts(ctx, name, epoch, today); err != nil {
			return slo.Counts{}, err
		}
		a.mu.Lock()
		if a.day.Equal(today) {
			a.past[name] = past
		}
		a.mu.Unlock()
	}
	// To the end of the current minute, as the SLO windows count it.
	cur, err := e.Counts(ctx, name, today, slo.EndMinute(now))
	if err != nil {
		return slo.Counts{}, err
	}
	return past.Add(cur), nil
}

// Register adds c's metrics to /metrics: the exporter's, for one.
func (s *Server) Register(c prometheus.Collector) error { return s.metrics.reg.Register(c) }
