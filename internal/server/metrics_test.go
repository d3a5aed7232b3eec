package server

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/tail"
)

// testSLO is what the test knows of a configured SLO, to compute the
// expected numbers from the events it wrote.
type testSLO struct {
	name, service string
	objective     float64 // percent
	window        time.Duration
	route         *regexp.Regexp // nil: any
	bad           func(status int) bool
}

var metricsSLOs = []testSLO{
	{name: "web-avail", service: "web", objective: 99, window: 30 * 24 * time.Hour,
		bad: func(s int) bool { return s >= 500 }},
	{name: "checkout", service: "web", objective: 99.9, window: 7 * 24 * time.Hour,
		route: regexp.MustCompile(`^/checkout`), bad: func(s int) bool { return s >= 500 || s == 429 }},
	{name: "quiet", service: "api", objective: 99.5, window: 7 * 24 * time.Hour,
		bad: func(s int) bool { return s >= 500 }},
}

const metricsConfig = `
storage: {retention: {minutes: forever}}
services:
  - name: web
    logs: [{path: web.log}]
  - name: api
    logs: [{path: api.log}]
slos:
  - {name: web-avail, service: web, objective: 99, window: 30d, sli: {type: availability}}
  - {name: checkout, service: web, objective: 99.9, window: 7d, filter: {route: ^/checkout}, sli: {type: availability, bad_status: [5xx, 429]}}
  - {name: quiet, service: api, objective: 99.5, window: 7d, sli: {type: availability}}
`

type testEvent struct {
	t      time.Time
	route  string
	status int
	n      uint64
}

// counts sums the events of s in [from, to).
func (s testSLO) counts(events []testEvent, from, to time.Time) (total, good float64) {
	for _, e := range events {
		if s.service != "web" || e.t.Before(from) || !e.t.Before(to) {
			continue // every test event is of service web
		}
		if s.route != nil && !s.route.MatchString(e.route) {
			continue
		}
		total += float64(e.n)
		if !s.bad(e.status) {
			good += float64(e.n)
		}
	}
	return total, good
}

func writeEvents(t *testing.T, st *store.Store, events []testEvent) {
	t.Helper()
	layout := cells.NewLayout(300)
	var b store.Batch
	for _, e := range events {
		m := e.t.Unix() - e.t.Unix()%60
		b.Add("web", m, store.DimValue{Host: "example.com", Route: e.route, Method: "GET", Status: e.status}, layout.Bucket(50_000), e.n)
	}
	if err := st.Commit(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time       { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)      { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func minuteEnd(t time.Time) time.Time { return t.Truncate(time.Minute).Add(time.Minute) }

func newMetricsEngine(t *testing.T) (*report.Engine, *store.Store) {
	t.Helper()
	_, st, eng := headroomtest.Open(t, metricsConfig)
	return eng, st
}

// scrape GETs path through h and parses the exposition.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	for name, f := range fams {
		if strings.HasPrefix(name, "headroom_") && f.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
	}
	return fams
}

// matching returns the series of name whose labels include want.
func matching(fams map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// sample returns the value of the first series of name whose labels include
// want (a counter's or gauge's value, a histogram's count).
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	ms := matching(fams, name, want)
	if len(ms) == 0 {
		return 0, false
	}
	m := ms[0]
	switch fams[name].GetType() {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue(), true
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue(), true
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount()), true
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// check asserts a series' value.
func check(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := sample(fams, name, labels)
	if !ok {
		t.Errorf("%s%v: absent, want %v", name, labels, want)
		return
	}
	if !near(got, want) {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func TestMetrics(t *testing.T) {
	eng, st := newMetricsEngine(t)
	now := time.Date(2026, 3, 10, 12, 30, 30, 0, time.UTC)
	clk := &clock{t: now}
	day := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	events := []testEvent{
		// Before every window: in the all-time counters only.
		{time.Date(2026, 1, 20, 8, 0, 0, 0, time.UTC), "/", 200, 400},
		{time.Date(2026, 1, 20, 8, 0, 10, 0, time.UTC), "/", 500, 100},
		// In the 30d window, not the 7d one.
		{day(1, 9, 3), "/checkout/pay", 502, 40},
		{day(1, 9, 3), "/", 200, 60},
		// Two days ago.
		{day(8, 10, 0), "/", 200, 1000},
		{day(8, 10, 0), "/", 503, 10},
		{day(8, 10, 1), "/checkout", 200, 300},
		{day(8, 10, 1), "/checkout", 429, 3},
		// Today, in the last hour but not the last 5 minutes.
		{day(10, 11, 45), "/", 200, 200},
		{day(10, 11, 45), "/checkout/pay", 500, 2},
		{day(10, 11, 50), "/", 404, 20},
		// In the last 5 minutes, the last one in progress.
		{day(10, 12, 28), "/", 200, 50},
		{day(10, 12, 28), "/", 500, 5},
		{time.Date(2026, 3, 10, 12, 30, 5, 0, time.UTC), "/checkout", 200, 7},
		// After now: counted nowhere.
		{day(10, 12, 40), "/", 500, 1000},
	}
	writeEvents(t, st, events)

	sources := []tail.State{
		{Log: "/var/log/nginx/access.log*", Service: "web", Files: 2, Behind: 4096,
			LastPoll: now.Add(-2 * time.Second), LastData: now.Add(-90 * time.Second), Lines: 1234, Malformed: 5, Unmatched: 17, ReadErrors: 2},
		{Log: "/var/log/nginx/api.log", Service: "api", Files: 1, LastPoll: now.Add(-time.Second), Lines: 0, Malformed: 0},
	}
	s, err := New(Options{
		Listen: "127.0.0.1:0", Engine: eng,
		Sources:   func(context.Context) ([]tail.State, error) { return sources, nil },
		StoreSize: func() int64 { return 123456 },
		Now:       clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()

	// One request to count in the duration histogram.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /healthz = %d", rec.Code)
	}

	fams := scrape(t, h)
	end := minuteEnd(now)
	for _, sl := range metricsSLOs {
		lbl := func(kv ...string) map[string]string {
			m := map[string]string{"slo": sl.name, "service": sl.service}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
		eps := 1 - sl.objective/100
		total, good := sl.counts(events, end.Add(-sl.window), end)
		t.Logf("%s: window total %v good %v", sl.name, total, good)
		if total == 0 {
			if _, ok := sample(fams, "headroom_slo_sli_ratio", lbl()); ok {
				t.Errorf("%s: an SLI without events", sl.name)
			}
			check(t, fams, "headroom_slo_error_budget_remaining_ratio", lbl(), 1)
		} else {
			check(t, fams, "headroom_slo_sli_ratio", lbl(), good/total)
			check(t, fams, "headroom_slo_error_budget_remaining_ratio", lbl(), 1-((total-good)/total)/eps)
		}
		check(t, fams, "headroom_slo_objective_ratio", lbl(), sl.objective/100)
		check(t, fams, "headroom_slo_error_budget_ratio", lbl(), eps)
		check(t, fams, "headroom_slo_window_events", lbl("kind", "total"), total)
		check(t, fams, "headroom_slo_window_events", lbl("kind", "good"), good)
		check(t, fams, "headroom_slo_window_events", lbl("kind", "bad"), total-good)
		for w, d := range map[string]time.Duration{"5m": 5 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "3d": 72 * time.Hour} {
			bt, bg := sl.counts(events, end.Add(-d), end)
			want := 0.0
			if bt > 0 {
				want = ((bt - bg) / bt) / eps
			}
			check(t, fams, "headroom_slo_burn_rate", lbl("window", w), want)
		}
		if n := len(matching(fams, "headroom_slo_burn_rate", lbl())); n != 7 {
			t.Errorf("%s: %d burn-rate windows, want 7 (5m 30m 1h 2h 6h 1d 3d)", sl.name, n)
		}
		at, ag := sl.counts(events, time.Time{}, end)
		check(t, fams, "headroom_slo_events_total", lbl(), at)
		check(t, fams, "headroom_slo_good_events_total", lbl(), ag)
	}
	// The data set must exercise what the checks claim to: a burning last
	// hour and all-time counts beyond the windows.
	if v, _ := sample(fams, "headroom_slo_burn_rate", map[string]string{"slo": "web-avail", "window": "5m"}); v < 1 {
		t.Errorf("web-avail 5m burn rate %v: the data set should burn", v)
	}
	check(t, fams, "headroom_scrape_error", nil, 0)
	// Configured percentages show without float noise.
	if v, _ := sample(fams, "headroom_slo_objective_ratio", map[string]string{"slo": "checkout"}); v != 0.999 {
		t.Errorf("checkout objective %v, want exactly 0.999", v)
	}
	if v, _ := sample(fams, "headroom_slo_error_budget_ratio", map[string]string{"slo": "checkout"}); v != 0.001 {
		t.Errorf("checkout error budget %v, want exactly 0.001", v)
	}

	web := map[string]string{"service": "web", "log": "/var/log/nginx/access.log*"}
	api := map[string]string{"service": "api", "log": "/var/log/nginx/api.log"}
	check(t, fams, "headroom_ingest_lines_total", web, 1234)
	check(t, fams, "headroom_ingest_malformed_total", web, 5)
	check(t, fams, "headroom_ingest_unmatched_total", web, 17)
	check(t, fams, "headroom_tail_read_errors_total", web, 2)
	check(t, fams, "headroom_ingest_lines_total", api, 0)
	check(t, fams, "headroom_tail_bytes_behind", web, 4096)
	check(t, fams, "headroom_tail_lag_seconds", web, 90)
	if _, ok := sample(fams, "headroom_tail_lag_seconds", api); ok {
		t.Error("headroom_tail_lag_seconds of a log never read")
	}
	check(t, fams, "headroom_tail_last_poll_timestamp_seconds", web, float64(now.Unix()-2))
	check(t, fams, "headroom_store_size_bytes", nil, 123456)
	for name, typ := range map[string]dto.MetricType{
		"headroom_ingest_lines_total":            dto.MetricType_COUNTER,
		"headroom_slo_events_total":              dto.MetricType_COUNTER,
		"headroom_slo_good_events_total":         dto.MetricType_COUNTER,
		"headroom_slo_window_events":             dto.MetricType_GAUGE,
		"headroom_http_request_duration_seconds": dto.MetricType_HISTOGRAM,
	} {
		if f := fams[name]; f == nil || f.GetType() != typ {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), typ)
		}
	}
	check(t, fams, "headroom_http_request_duration_seconds", map[string]string{"handler": "GET /healthz", "method": "get", "code": "200"}, 1)
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go collector metrics")
	}
	if _, ok := fams["process_start_time_seconds"]; !ok && runtime.GOOS == "linux" {
		t.Error("no process collector metrics")
	}

	// More data, today and for a complete day: today's shows at once, the
	// complete day's once the day changes; the counters never go down.
	prev := allTimeCounters(fams)
	late := []testEvent{
		{day(10, 12, 29), "/checkout", 500, 11},
		{day(10, 3, 0), "/", 200, 17},
		{day(9, 23, 59), "/", 200, 23},
	}
	writeEvents(t, st, late)
	events = append(events, late...)
	fams = scrape(t, h)
	check(t, fams, "headroom_http_request_duration_seconds", map[string]string{"handler": "GET /metrics", "method": "get", "code": "200"}, 1)
	cached := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, sl := range metricsSLOs {
		lbl := map[string]string{"slo": sl.name, "service": sl.service}
		// Complete days as of the first scrape, today as of now.
		bt, bg := sl.counts(events[:len(events)-len(late)], time.Time{}, cached)
		tt, tg := sl.counts(events, cached, end)
		check(t, fams, "headroom_slo_events_total", lbl, bt+tt)
		check(t, fams, "headroom_slo_good_events_total", lbl, bg+tg)
	}
	all, _ := metricsSLOs[0].counts(events, time.Time{}, end)
	if got, ok := sample(fams, "headroom_slo_events_total", map[string]string{"slo": "web-avail"}); !ok || got >= all {
		t.Errorf("web-avail: events_total %v: the late event of a complete day should wait for the next day", got)
	}
	checkNotLower(t, prev, fams)

	prev = allTimeCounters(fams)
	next := time.Date(2026, 3, 11, 0, 10, 0, 0, time.UTC)
	clk.set(next)
	fams = scrape(t, h)
	for _, sl := range metricsSLOs {
		lbl := map[string]string{"slo": sl.name, "service": sl.service}
		at, ag := sl.counts(events, time.Time{}, minuteEnd(next))
		check(t, fams, "headroom_slo_events_total", lbl, at)
		check(t, fams, "headroom_slo_good_events_total", lbl, ag)
	}
	checkNotLower(t, prev, fams)
	check(t, fams, "headroom_tail_lag_seconds", web, next.Sub(now.Add(-90*time.Second)).Seconds())
}

// allTimeCounters returns the all-time counters by name and SLO.
func allTimeCounters(fams map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, name := range []string{"headroom_slo_events_total", "headroom_slo_good_events_total"} {
		if f := fams[name]; f != nil {
			for _, m := range f.Metric {
				var slo string
				for _, l := range m.Label {
					if l.GetName() == "slo" {
						slo = l.GetValue()
					}
				}
				out[name+"/"+slo] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func checkNotLower(t *testing.T, prev map[string]float64, fams map[string]*dto.MetricFamily) {
	t.Helper()
	cur := allTimeCounters(fams)
	keys := make([]string, 0, len(prev))
	for k := range prev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		t.Error("no all-time counters")
	}
	for _, k := range keys {
		if v, ok := cur[k]; !ok || v < prev[k] {
			t.Errorf("%s went from %v to %v (present %v)", k, prev[k], v, ok)
		}
	}
}

func TestMetricsScrapeError(t *testing.T) {
	eng, st := newMetricsEngine(t)
	writeEvents(t, st, []testEvent{{time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), "/", 200, 1}})
	s, err := New(Options{
		Listen: "127.0.0.1:0", Engine: eng,
		Sources: func(context.Context) ([]tail.State, error) {
			return []tail.State{{Log: "a.log", Service: "web", Lines: 3}}, nil
		},
		Now: func() time.Time { return time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	fams := scrape(t, h)
	check(t, fams, "headroom_scrape_error", nil, 0)
	check(t, fams, "headroom_slo_events_total", map[string]string{"slo": "web-avail"}, 1)

	st.Close() // every read fails from now on
	fams = scrape(t, h)
	check(t, fams, "headroom_scrape_error", nil, 1)
	for _, name := range []string{"headroom_slo_sli_ratio", "headroom_slo_events_total", "headroom_slo_burn_rate"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s exposed though the SLOs could not be evaluated", name)
		}
	}
	check(t, fams, "headroom_ingest_lines_total", map[string]string{"log": "a.log"}, 3)
	if _, ok := fams["headroom_store_size_bytes"]; ok {
		t.Error("headroom_store_size_bytes without a StoreSize")
	}
}

func TestMetricsWithoutEngine(t *testing.T) {
	s, err := New(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, s.Handler())
	check(t, fams, "headroom_scrape_error", nil, 0)
	if _, ok := fams["headroom_slo_objective_ratio"]; ok {
		t.Error("SLO metrics without an engine")
	}
}

func TestScrapeTimeout(t *testing.T) {
	m := newMetrics(Options{Timeout: 10 * time.Second})
	r := httptest.NewRequest("GET", "/metrics", nil)
	if got := m.scrapeTimeout(r); got != 7500*time.Millisecond {
		t.Errorf("no header: %v, want 7.5s", got)
	}
	r.Header.Set(scrapeTimeoutHeader, "2")
	if got := m.scrapeTimeout(r); got != 1800*time.Millisecond {
		t.Errorf("header 2: %v, want 1.8s", got)
	}
	for _, h := range []string{"60", "+Inf", "NaN", "-1", "0", "soon"} {
		r.Header.Set(scrapeTimeoutHeader, h)
		if got := m.scrapeTimeout(r); got != 7500*time.Millisecond {
			t.Errorf("header %q: %v, want 7.5s", h, got)
		}
	}
}
