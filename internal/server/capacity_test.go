package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/capacity"
	"github.com/headroom-slo/headroom/internal/genhist"
	"github.com/headroom-slo/headroom/internal/headroomtest"
)

// TestCapacitySectionAndAPI: three weeks of web growing 10% a week toward
// a declared capacity: the API gives the peak, growth and crossings, the
// service page shows them with the chart, and the report is computed once
// for many requests of a day.
func TestCapacitySectionAndAPI(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, `
storage: {retention: {minutes: forever}}
services:
  - {name: web, logs: [{path: /dev/null}], capacity: {rps: 400}}
  - {name: api, logs: [{path: /dev/null}]}
slos:
  - {name: avail, service: web, objective: 99, window: 7d, sli: {type: availability}}
`)
	h := &genhist.History{Start: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), Days: 21, Seed: 1}
	for _, name := range []string{"web", "api"} {
		h.Services = append(h.Services, genhist.Service{Name: name, RPS: 100, WeeklyGrowth: 0.10, DailyAmplitude: 0.3, PeakHour: 15,
			Routes: []genhist.Route{{Method: "GET", Template: "/api/deals", Weight: 1,
				Latency: []genhist.LatencyShare{{Ms: 20, Share: 0.9}, {Ms: 200, Share: 0.1}}}}})
	}
	if err := h.Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	at := h.To().Add(2 * time.Hour)
	reads := 0
	cache := capacity.NewCache(countingSource{st, &reads}, cfg, 0, func() time.Time { return at })
	s, err := New(Options{Listen: "127.0.0.1:0", Engine: eng, Capacity: cache, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.ln.Close() })
	hd := s.Handler()

	rec := get(hd, "/api/v1/services/web/capacity")
	if rec.Code != 200 {
		t.Fatalf("GET capacity: %d %s", rec.Code, rec.Body)
	}
	var v struct {
		PeakRPS      float64            `json:"peak_rps"`
		WeeklyGrowth *float64           `json:"weekly_growth"`
		Crosses      map[string]*string `json:"crosses"`
		Days         []struct {
			Date    string  `json:"date"`
			PeakRPS float64 `json:"peak_rps"`
		} `json:"days"`
		Forecast []struct {
			Date string `json:"date"`
		} `json:"forecast"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Days) != 21 || v.PeakRPS != v.Days[20].PeakRPS || v.WeeklyGrowth == nil || *v.WeeklyGrowth < 0.09 || *v.WeeklyGrowth > 0.11 {
		t.Errorf("days %d, peak %v, growth %v: want 21 days, the last one's peak, about 0.10", len(v.Days), v.PeakRPS, v.WeeklyGrowth)
	}
	if v.Crosses["80"] == nil || v.Crosses["100"] == nil || len(v.Forecast) == 0 || v.Forecast[0].Date != "2026-10-26" {
		t.Errorf("crosses %v, forecast from %v: want dates, from 2026-10-26", v.Crosses, v.Forecast)
	}

	page := get(hd, "/service/web")
	if page.Code != 200 {
		t.Fatalf("GET /service/web: %d", page.Code)
	}
	html := page.Body.String()
	for _, want := range []string{`<section id="capacity">`, `data-chart="capacity"`, `data-src="/api/v1/services/web/capacity?at=`,
		`data-field="peak-rps">` + capacity.RPS(v.PeakRPS), `data-field="crosses-80">` + *v.Crosses["80"], `id="latency-by-load"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the service page lacks %q", want)
		}
	}
	// Without a capacity: the section says how to set one.
	if html := get(hd, "/service/api").Body.String(); !strings.Contains(html, "<code>capacity: {rps: N}</code>") {
		t.Errorf("api's page does not say how to set a capacity")
	}
	if reads != 2 {
		t.Errorf("%d reports computed for web's and api's pages and web's API, want 2 (one a service and day)", reads)
	}
	if rec := get(hd, "/api/v1/services/nope/capacity"); rec.Code != 404 {
		t.Errorf("unknown service: %d, want 404", rec.Code)
	}
}

// countingSource counts the reports computed (one LastMinute each).
type countingSource struct {
	capacity.Source
	n *int
}

func (c countingSource) LastMinute(ctx context.Context, id int64) (int64, bool, error) {
	*c.n++
	return c.Source.LastMinute(ctx, id)
}
