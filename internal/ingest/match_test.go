package ingest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// requestsOf returns the requests stored for a service by "METHOD route
// status", with the routes and hosts it has in its dictionary.
func requestsOf(t *testing.T, st *store.Store, service string) (requests map[string]uint64, routes, hosts []string) {
	t.Helper()
	ctx := context.Background()
	requests = map[string]uint64{}
	id, err := st.ServiceID(ctx, service, false)
	if err != nil || id == 0 {
		return requests, nil, nil
	}
	dims, err := st.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dims {
		if d.Route != "" && !slices.Contains(routes, d.Route) {
			routes = append(routes, d.Route)
		}
		if d.Host != "" && !slices.Contains(hosts, d.Host) {
			hosts = append(hosts, d.Host)
		}
	}
	slices.Sort(routes)
	slices.Sort(hosts)
	err = st.ReadCells(ctx, id, store.Minute, 0, 1<<40, func(sp *store.Span) error {
		for _, e := range sp.Cell.Entries {
			d := dims[e.Dim]
			requests[fmt.Sprintf("%s %s %d", d.Method, d.Route, d.Status)] += e.Count
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return requests, routes, hosts
}

// sharedSources returns the sources of cfg, checking there is one.
func sharedSource(t *testing.T, cfg *config.Config, st *store.Store) *Source {
	t.Helper()
	srcs, err := NewSources(context.Background(), cfg, st, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 {
		t.Fatalf("%d sources, want the shared log once", len(srcs))
	}
	return srcs[0]
}

// upstream returns a filter of IngressLog upstreams.
func upstream(names ...string) func(string) bool {
	return func(u string) bool { return slices.Contains(names, u) }
}

// TestSharedLogSplitByUpstream: one ingress-nginx log listed under two
// services, each taking its upstream's lines, is read once: each service
// counts exactly its requests (as the writer counted them), with its own
// routes rules, exclusions and latency variable; lines for upstreams no
// service takes count as unmatched, sampled once per upstream, never as
// malformed; lines = parsed + malformed + excluded + unmatched; a second
// import adds nothing.
func TestSharedLogSplitByUpstream(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "controller.log")
	var g headroomtest.IngressLog
	for i := range 1200 {
		switch i % 12 {
		case 0, 1, 2:
			g.Request("shop-api-80", "GET", "/api/users/:id", 200)
		case 3:
			g.Request("shop-api-80", "POST", "/api/orders/:id", 502)
		case 4:
			g.Request("shop-api-80", "GET", "/healthz", 200) // excluded by api
		case 5, 6:
			g.Request("shop-web-80", "GET", "/p/:id", 200) // web's routes rule: /p/:slug
		case 7:
			g.Request("shop-web-80", "GET", "/healthz", 200) // web does not exclude it
		case 8:
			g.Request("shop-cart-80", "GET", "/cart/:id", 200) // no service
		case 9:
			g.Request("", "GET", "/", 404) // nginx answered itself
		case 10:
			g.Request("shop-web-8080", "GET", "/p/:id", 503)
		case 11:
			if i%48 == 11 {
				g.Garbage()
			} else {
				g.Request("shop-api-80", "GET", "/api/users/:id", 200)
			}
		}
	}
	write(t, log, g.String())
	cfg := headroomtest.Config(t, fmt.Sprintf(`
services:
  - name: api
    logs: [{path: %[1]q, format: ingress-nginx}]
    match: {upstream: ^shop-api-}
    exclude: [{route: ^/health}]
    latency: upstream_response_time
  - name: web
    logs: [{path: %[1]q, format: ingress-nginx}]
    match: {upstream: ^shop-web-}
    routes: [{match: ^/p/, template: /p/:slug}]
slos:
  - {name: api-fast, service: api, objective: 99, window: 28d, sli: {type: latency, threshold: 11ms}}
  - {name: web-fast, service: web, objective: 99, window: 28d, sli: {type: latency, threshold: 11ms}}
  - {name: web-avail, service: web, objective: 99, window: 28d, sli: {type: availability}}
`, log))
	st := headroomtest.Store(t, cfg.Storage.Dir)
	src := sharedSource(t, cfg, st)
	if got := src.Label(); got != "api,web" {
		t.Errorf("label %q, want api,web", got)
	}
	ctx := context.Background()
	res, err := IngestFile(ctx, st, src, log, Options{CommitBytes: 16 << 10, ChunkSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}

	api := g.Of(upstream("shop-api-80"))
	excluded := api["GET /healthz 200"]
	delete(api, "GET /healthz 200")
	web := map[string]uint64{}
	for k, n := range g.Of(upstream("shop-web-80", "shop-web-8080")) {
		web[strings.Replace(k, "/p/:id", "/p/:slug", 1)] += n
	}
	unmatched := int64(g.Total(upstream("shop-cart-80", "")))
	for i, c := range []struct {
		service string
		want    map[string]uint64
		routes  []string
	}{
		{"api", api, []string{"/api/orders/:id", "/api/users/:id", "/healthz"}},
		{"web", web, []string{"/healthz", "/p/:slug"}},
	} {
		got, _, _ := requestsOf(t, st, c.service)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", c.service, diff)
		}
		// Only the service's own routes (excluded ones included): the
		// other lines took no place under its max_routes.
		reg := src.Services[i].routes
		var routes []string
		for id := 1; id < reg.Len(); id++ {
			routes = append(routes, reg.Name(uint32(id)))
		}
		slices.Sort(routes)
		if diff := cmp.Diff(c.routes, routes); diff != "" {
			t.Errorf("%s: routes registered (-want +got):\n%s", c.service, diff)
		}
	}
	type counts struct{ Lines, Malformed, Excluded, Unmatched int64 }
	want := counts{g.Lines, g.Malformed, int64(excluded), unmatched}
	if got := (counts{res.Lines, res.Malformed, res.Excluded, res.Unmatched}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	parsed := int64(0)
	for _, m := range []map[string]uint64{api, web} {
		for _, n := range m {
			parsed += int64(n)
		}
	}
	if res.Lines != parsed+res.Malformed+res.Excluded+res.Unmatched {
		t.Errorf("lines %d != parsed %d + malformed %d + excluded %d + unmatched %d", res.Lines, parsed, res.Malformed, res.Excluded, res.Unmatched)
	}
	var reasons []string
	for _, s := range res.UnmatchedSamples {
		reasons = append(reasons, s.Reason)
		if s.Path != log || s.Line <= 0 || s.Excerpt == "" {
			t.Errorf("unmatched sample %+v: want its file, line and excerpt", s)
		}
	}
	slices.Sort(reasons)
	if diff := cmp.Diff([]string{"no service matches: upstream=- host=-", "no service matches: upstream=shop-cart-80 host=-"}, reasons); diff != "" {
		t.Errorf("unmatched samples (-want +got):\n%s", diff)
	}
	for _, s := range res.Samples {
		if strings.Contains(s.Reason, "no service") {
			t.Errorf("an unmatched line sampled as malformed: %+v", s)
		}
	}

	// The latency each service uses: api its upstream time (11 ms, good at
	// 11 ms), web its request time (12 ms, bad).
	eng := headroomtest.Engine(t, cfg, st)
	slos, err := eng.SLOs(ctx, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), "")
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string][2]float64{}
	for _, o := range slos {
		totals[o.Name] = [2]float64{o.Total, o.Good}
	}
	sum := func(m map[string]uint64, ok func(k string) bool) float64 {
		var n uint64
		for k, c := range m {
			if ok(k) {
				n += c
			}
		}
		return float64(n)
	}
	all := func(string) bool { return true }
	wantTotals := map[string][2]float64{
		"api-fast":  {sum(api, all), sum(api, all)},
		"web-fast":  {sum(web, all), 0},
		"web-avail": {sum(web, all), sum(web, func(k string) bool { return !strings.HasSuffix(k, " 503") })},
	}
	if diff := cmp.Diff(wantTotals, totals); diff != "" {
		t.Errorf("SLO totals and good (-want +got):\n%s", diff)
	}

	// Read once: one row for the file, for both services.
	rows, err := st.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Service != "api,web" || rows[0].Lines != g.Lines || rows[0].Unmatched != unmatched {
		t.Errorf("source rows %+v; want one, of api,web, with every line once", rows)
	}
	again, err := IngestFile(ctx, st, src, log, Options{})
	if err != nil || !again.Known || again.Lines != 0 {
		t.Errorf("import again: %+v, %v; want nothing added", again.Result, err)
	}
}

// TestMatchKeys: every key of a match must take the line (host on the
// host as stored, lower-cased; route on the route template, the service's
// rules applied); a service without match takes every line, so that no
// line of its log is unmatched.
func TestMatchKeys(t *testing.T) {
	const format = `$host "$request" $status [$time_local] [$proxy_upstream_name] $request_time`
	lines := []struct {
		host, path, upstream string
		want                 []string // services counting it
	}{
		{"Admin.Example.com", "/admin/users/1", "shop-admin-80", []string{"admin", "route"}},
		{"admin.example.com", "/admin/users/2", "shop-api-80", []string{"route"}}, // not admin's upstream
		{"www.example.com", "/admin/users/3", "shop-admin-80", []string{"route"}}, // not admin's host
		{"admin.example.com", "/login", "shop-admin-80", nil},                     // not admin's route, nor route's
		{"www.example.com", "/a/1", "shop-admin-80", []string{"route"}},           // route's rule: /a/ → /admin/
		{"", "/admin/x", "shop-admin-80", []string{"route"}},                      // no host: "-"
		{"admin.example.com", "/admin/y", "", []string{"route"}},                  // no upstream
		{"ADMIN.EXAMPLE.COM", "/admin/users/4?x=1", "shop-admin-80", []string{"admin", "route"}},
	}
	var b strings.Builder
	want := map[string]uint64{}
	var unmatched int64
	for i, l := range lines {
		fmt.Fprintf(&b, "%s \"GET %s HTTP/1.1\" 200 [20/Nov/2026:10:00:%02d +0000] [%s] 0.010\n", l.host, l.path, i, l.upstream)
		for _, s := range l.want {
			want[s]++
		}
		if len(l.want) == 0 {
			unmatched++
		}
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "x.log")
	write(t, log, b.String())
	yaml := fmt.Sprintf(`
services:
  - name: admin
    logs: [{path: %[1]q, log_format: '%[2]s'}]
    match: {host: ^admin\.example\.com$, upstream: ^shop-admin-, route: ^/admin/}
  - name: route
    logs: [{path: %[1]q, log_format: '%[2]s'}]
    match: {route: ^/admin/}
    routes: [{match: ^/a/(\d+), template: /admin/$1}]
slos: []
`, log, format)
	cfg := headroomtest.Config(t, yaml)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	res, err := IngestFile(context.Background(), st, sharedSource(t, cfg, st), log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, s := range []string{"admin", "route"} {
		reqs, _, _ := requestsOf(t, st, s)
		for _, n := range reqs {
			got[s] += n
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests by service (-want +got):\n%s", diff)
	}
	if res.Unmatched != unmatched || res.Lines != int64(len(lines)) {
		t.Errorf("lines %d, unmatched %d; want %d, %d", res.Lines, res.Unmatched, len(lines), unmatched)
	}
	if len(res.UnmatchedSamples) != 1 || res.UnmatchedSamples[0].Reason != "no service matches: upstream=shop-admin-80 host=admin.example.com path=/login" {
		t.Errorf("unmatched samples %+v", res.UnmatchedSamples)
	}
	if _, _, hosts := requestsOf(t, st, "admin"); !slices.Equal(hosts, []string{"admin.example.com"}) {
		t.Errorf("admin's hosts %v", hosts)
	}

	// A third service without match: it takes every line, none is
	// unmatched.
	cfg = headroomtest.Config(t, yaml[:strings.Index(yaml, "slos:")]+fmt.Sprintf(`  - name: all
    logs: [{path: %q, log_format: '%s'}]
slos: []
`, log, format))
	st = headroomtest.Store(t, cfg.Storage.Dir)
	res, err = IngestFile(context.Background(), st, sharedSource(t, cfg, st), log, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if reqs, _, _ := requestsOf(t, st, "all"); res.Unmatched != 0 || sumOf(reqs) != uint64(len(lines)) {
		t.Errorf("with a service taking everything: %d unmatched, %d counted by it; want 0, %d", res.Unmatched, sumOf(reqs), len(lines))
	}
}

func sumOf(m map[string]uint64) uint64 {
	var n uint64
	for v := range maps.Values(m) {
		n += v
	}
	return n
}

// TestServiceAddedToALog: a log read for one service, then listed under a
// second one too (both with a match), keeps its read positions: nothing
// read before is counted again for the first service, the new lines count
// for each, and the file's row names both.
func TestServiceAddedToALog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "controller.log")
	var g headroomtest.IngressLog
	for range 50 {
		g.Request("shop-api-80", "GET", "/api/users/:id", 200)
		g.Request("shop-web-80", "GET", "/", 200)
	}
	write(t, log, g.Take())
	one := fmt.Sprintf(`
storage: {dir: %[2]s}
services:
  - name: api
    logs: [{path: %[1]q, format: ingress-nginx}]
slos: []
`, log, filepath.Join(dir, "data"))
	cfg := headroomtest.Config(t, one)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	ctx := context.Background()
	if r, err := IngestFile(ctx, st, sharedSource(t, cfg, st), log, Options{}); err != nil || r.Lines != 100 {
		t.Fatalf("first import: %+v, %v", r.Result, err)
	}
	for range 10 {
		g.Request("shop-api-80", "GET", "/api/users/:id", 200)
		g.Request("shop-web-80", "GET", "/", 200)
		g.Request("shop-cart-80", "GET", "/", 200)
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(g.Take())
	f.Close()
	cfg = headroomtest.Config(t, fmt.Sprintf(`
storage: {dir: %[2]s}
services:
  - name: api
    logs: [{path: %[1]q, format: ingress-nginx}]
    match: {upstream: ^shop-api-}
  - name: web
    logs: [{path: %[1]q, format: ingress-nginx}]
    match: {upstream: ^shop-web-}
slos: []
`, log, filepath.Join(dir, "data")))
	r, err := IngestFile(ctx, st, sharedSource(t, cfg, st), log, Options{})
	if err != nil || !r.Known || r.Lines != 30 || r.Unmatched != 10 {
		t.Fatalf("import with both services: %+v, %v; want the 30 new lines, 10 unmatched", r.Result, err)
	}
	for svc, want := range map[string]uint64{"api": 100 + 10, "web": 10} {
		if got, _, _ := requestsOf(t, st, svc); sumOf(got) != want {
			t.Errorf("%s: %d requests, want %d", svc, sumOf(got), want)
		}
	}
	if rows, _ := st.Sources(ctx); len(rows) != 1 || rows[0].Service != "api,web" || rows[0].Lines != 130 {
		t.Errorf("rows %+v; want one of api,web with 130 lines", rows)
	}
}
