package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestImportSharedLog: one ingress-nginx controller log listed under two
// services, split by upstream, imported once: status shows each service's
// SLOs over exactly its requests (as the log's writer counted them), and
// the log once, for both services, with its lines no service took counted
// and sampled as unmatched, not malformed. A reset of one of the services
// alone is refused (it would forget the other's read positions); of both,
// it is the way back.
func TestImportSharedLog(t *testing.T) {
	dir := t.TempDir()
	var g headroomtest.IngressLog
	for i := range 1200 {
		switch i % 10 {
		case 0, 1, 2, 3:
			g.Request("shop-api-80", "GET", "/api/users/:id", 200)
		case 4:
			g.Request("shop-api-80", "POST", "/api/orders", 502)
		case 5, 6:
			g.Request("shop-web-80", "GET", "/", 200)
		case 7:
			g.Request("shop-web-80", "GET", "/p/:id", 503)
		case 8:
			g.Request("shop-cart-80", "GET", "/cart", 200)
		case 9:
			if i%50 == 9 {
				g.Garbage()
			} else {
				g.Request("", "GET", "/", 404)
			}
		}
	}
	writeFile(t, filepath.Join(dir, "controller.log"), g.String())
	cfg := filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, `storage: {dir: ./data}
services:
  - name: api
    logs: [{path: ./controller.log, format: ingress-nginx}]
    match: {upstream: ^shop-api-}
  - name: web
    logs: [{path: ./controller.log, format: ingress-nginx}]
    match: {upstream: ^shop-web-}
slos:
  - {name: api-avail, service: api, objective: 99, window: 28d, sli: {type: availability}}
  - {name: web-avail, service: web, objective: 99, window: 28d, sli: {type: availability}}
`)
	unmatched := int64(g.Total(func(u string) bool { return u == "shop-cart-80" || u == "" }))
	r := run(t, "", "import", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("  unmatched  %d (no service's match took them)", unmatched)) ||
		!strings.Contains(r.stdout, "  unmatched  "+filepath.Join(dir, "controller.log")+":") {
		t.Fatalf("import: %+v", r)
	}
	check := func(step string) {
		t.Helper()
		rep := status(t, cfg)
		got := map[string][2]float64{}
		for _, o := range rep.SLOs {
			got[o.Name] = [2]float64{o.Total, o.Good}
		}
		count := func(upstream string, good bool) float64 {
			var n uint64
			for k, c := range g.Of(func(u string) bool { return u == upstream }) {
				if !good || !strings.HasSuffix(k, " 502") && !strings.HasSuffix(k, " 503") {
					n += c
				}
			}
			return float64(n)
		}
		want := map[string][2]float64{
			"api-avail": {count("shop-api-80", false), count("shop-api-80", true)},
			"web-avail": {count("shop-web-80", false), count("shop-web-80", true)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: SLO total and good (-want +got):\n%s", step, diff)
		}
		if len(rep.Sources) != 1 {
			t.Fatalf("%s: %d sources, want the shared log once: %+v", step, len(rep.Sources), rep.Sources)
		}
		s := rep.Sources[0]
		if s.Service != "api,web" || !slices.Equal(s.Services, []string{"api", "web"}) || s.FilesRead != 1 ||
			s.Lines != g.Lines || s.Malformed != g.Malformed || s.Unmatched != unmatched || s.Excluded != 0 {
			t.Errorf("%s: source %+v; want api,web: %d lines, %d malformed, %d unmatched", step, s, g.Lines, g.Malformed, unmatched)
		}
		var reasons []string
		for _, m := range s.UnmatchedSamples {
			reasons = append(reasons, m.Reason)
		}
		slices.Sort(reasons)
		if diff := cmp.Diff([]string{"no service matches: upstream=- host=-", "no service matches: upstream=shop-cart-80 host=-"}, reasons); diff != "" {
			t.Errorf("%s: unmatched samples (-want +got):\n%s", step, diff)
		}
		if want := min(int(g.Malformed), store.SamplesKept); len(s.Samples) != want {
			t.Errorf("%s: %d malformed samples, want %d", step, len(s.Samples), want)
		}
	}
	check("import")

	r = run(t, "", "status", "--config", cfg, "--at", "2026-11-20T12:00:00Z")
	if r.code != 0 || !strings.Contains(r.stdout, "MALFORMED  EXCLUDED  UNMATCHED") || !strings.Contains(r.stdout, "  unmatched "+filepath.Join(dir, "controller.log")) {
		t.Errorf("status: %+v", r)
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, filepath.Join(dir, "controller.log")) && !strings.Contains(l, " api,web ") {
			t.Errorf("status shows the log as %q, want it for api,web", l)
		}
	}

	r = run(t, "", "reset", "--config", cfg, "--service", "api", "--yes")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "service api reads "+filepath.Join(dir, "controller.log")+" together with web") ||
		!strings.Contains(r.stderr, "--service api,web") {
		t.Errorf("reset of api alone: %+v", r)
	}
	check("after a refused reset")
	r = run(t, "", "reset", "--config", cfg, "--service", "api,web", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "reset service api, web: forgot ") || !strings.Contains(r.stdout, "the read positions of 1 file") {
		t.Fatalf("reset of both: %+v", r)
	}
	if r := run(t, "", "import", "--config", cfg); r.code != 0 {
		t.Fatalf("import after the reset: %+v", r)
	}
	check("after the reset and an import")
}
