package genhist

import (
	"context"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/store"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday

func testHistory() *History {
	return &History{
		Start: t0, Days: 3, Seed: 42,
		Services: []Service{{Name: "web", RPS: 20, WeeklyGrowth: 0.10, DailyAmplitude: 0.5, PeakHour: 14, WeekendDip: 0.3, Noise: 0.05}},
		Incidents: []Incident{{
			Start: t0.Add(30 * time.Hour), Duration: 45 * time.Minute, Route: "/api/deals", Status: 503, BadFraction: 0.4, LatencyFactor: 5,
		}},
	}
}

func TestWriteMatchesTruth(t *testing.T) {
	h := testHistory()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := h.Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: deals-fast, service: web, objective: 99, window: 28d, filter: {route: ^/api/deals$}, sli: {type: latency, threshold: 100ms}}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := sli.NewQuery(context.Background(), st, sli.CompileAll(cfg))
	if err != nil {
		t.Fatal(err)
	}
	inc := h.Incidents[0]
	for _, r := range []struct {
		name     string
		from, to time.Time
	}{
		{"all", h.From(), h.To()},
		{"incident", inc.Start, inc.End()},
		{"odd range", t0.Add(17*time.Hour + 13*time.Minute), t0.Add(50*time.Hour + 1*time.Minute)},
	} {
		got, err := q.Sum(sli.Range{From: r.from, To: r.to})
		if err != nil {
			t.Fatal(err)
		}
		var total, bad, lat, fast float64
		n := h.Totals("web", r.from, r.to, func(_ time.Time, c Count) {
			total += float64(c.N)
			if c.Dim.Status >= 500 {
				bad += float64(c.N)
			}
			if c.Dim.Route == "/api/deals" {
				lat += float64(c.N)
				if c.LeMs <= 100 {
					fast += float64(c.N)
				}
			}
		})
		if n == 0 || total != float64(n) {
			t.Fatalf("%s: brute force found %d requests (%g)", r.name, n, total)
		}
		if got[0].Total != total || got[0].Good != total-bad {
			t.Errorf("%s: availability %+v, want total %g bad %g", r.name, got[0], total, bad)
		}
		if got[1].Total != lat || got[1].Good != fast {
			t.Errorf("%s: latency %+v, want total %g good %g", r.name, got[1], lat, fast)
		}
		if r.name == "incident" && bad < 0.3*lat {
			t.Errorf("incident: %g bad of %g /api/deals requests, want about 40%%", bad, lat)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := testHistory(), testHistory()
	at := t0.Add(30*time.Hour + 10*time.Minute)
	ma, mb := a.Minute("web", at), b.Minute("web", at)
	if len(ma) == 0 || len(ma) != len(mb) {
		t.Fatalf("minute: %d and %d counts", len(ma), len(mb))
	}
	for i := range ma {
		if ma[i] != mb[i] {
			t.Fatalf("count %d: %+v vs %+v", i, ma[i], mb[i])
		}
	}
	b.Seed = 43
	if a.Rate("web", at) == b.Rate("web", at) {
		t.Error("another seed, the same noise")
	}
}

func TestRateShape(t *testing.T) {
	h := &History{Start: t0, Days: 21, Services: []Service{{Name: "web", RPS: 100, WeeklyGrowth: 0.10, DailyAmplitude: 0.5, PeakHour: 14, WeekendDip: 0.4}}}
	// growth is the compounding factor d after the start.
	growth := func(d time.Duration) float64 { return math.Pow(1.1, d.Hours()/(7*24)) }
	peak := t0.Add(14 * time.Hour) // Monday 14:00
	if got, want := h.Rate("web", peak), 150*growth(14*time.Hour); math.Abs(got-want) > 1e-9 {
		t.Errorf("peak rate %g, want %g", got, want)
	}
	if got, want := h.Rate("web", peak.Add(7*24*time.Hour)), 150*1.1*growth(14*time.Hour); math.Abs(got-want) > 1e-9 {
		t.Errorf("a week later %g, want %g (+10%%)", got, want)
	}
	if got, want := h.Rate("web", peak.Add(5*24*time.Hour)), 150*growth(5*24*time.Hour+14*time.Hour)*0.6; math.Abs(got-want) > 1e-9 {
		t.Errorf("Saturday %g, want the weekday's × 0.6 (%g)", got, want)
	}
	if got, want := h.Rate("web", t0.Add(2*time.Hour)), 50*growth(2*time.Hour); math.Abs(got-want) > 1e-9 {
		t.Errorf("trough %g, want %g", got, want)
	}
	// Minute counts round the rate: their total is within a request a
	// route of rate × 60.
	var n uint64
	for _, c := range h.Minute("web", peak) {
		n += c.N
	}
	if want := h.Rate("web", peak) * 60; math.Abs(float64(n)-want) > float64(len(DefaultRoutes())) {
		t.Errorf("minute at peak: %d requests, want about %g", n, want)
	}
}

func TestBadInput(t *testing.T) {
	for name, h := range map[string]*History{
		"no days":     {Services: []Service{{Name: "web", RPS: 1}}},
		"no services": {Days: 1},
		"amplitude":   {Days: 1, Services: []Service{{Name: "web", RPS: 1, DailyAmplitude: 1.5}}},
		"incident":    {Days: 1, Services: []Service{{Name: "web", RPS: 1}}, Incidents: []Incident{{BadFraction: 2, Duration: time.Hour}}},
	} {
		if _, err := h.prepare(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// BenchmarkWrite90Days writes 90 days of one service at 50 rps.
func BenchmarkWrite90Days(b *testing.B) {
	h := &History{Start: t0, Days: 90, Seed: 1, Services: []Service{{Name: "web", RPS: 50, WeeklyGrowth: 0.05, DailyAmplitude: 0.5, PeakHour: 14, WeekendDip: 0.3, Noise: 0.05}}}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	n := 0
	for b.Loop() {
		n++
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Write(context.Background(), st); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	// CPU time too: on a shared machine wall time says more about the
	// neighbours.
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/op")
}
