package suggest

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/genhist"
	"github.com/headroom-slo/headroom/internal/store"
)

// t0 is a Monday.
var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// testHistory is 42 days of one service with three incidents: errors on
// one route, errors and slowness on the API writes, slowness on a page.
func testHistory(days int) *genhist.History {
	day := func(d, h int) time.Time { return t0.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour) }
	return &genhist.History{
		Start: t0, Days: days, Seed: 7,
		Services: []genhist.Service{{Name: "web", RPS: 5, WeeklyGrowth: 0.03, DailyAmplitude: 0.6, PeakHour: 15, WeekendDip: 0.4, Noise: 0.05}},
		Incidents: []genhist.Incident{
			{Start: day(12, 10), Duration: 2 * time.Hour, Route: "/api/deals", Status: 503, BadFraction: 0.5},
			{Start: day(30, 14), Duration: 40 * time.Minute, Group: genhist.APIWrite, Status: 502, BadFraction: 0.3, LatencyFactor: 4},
			{Start: day(21, 8), Duration: 3 * time.Hour, Route: "/deals/:id", LatencyFactor: 20},
		},
	}
}

var (
	storeOnce sync.Once
	testStore *store.Store
	storeErr  error
)

// filled returns a store holding testHistory(42), written once per run.
func filled(t testing.TB) *store.Store {
	t.Helper()
	storeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "suggest-test")
		if err != nil {
			storeErr = err
			return
		}
		testStore, storeErr = store.Open(dir, store.Options{})
		if storeErr == nil {
			storeErr = testHistory(42).Write(context.Background(), testStore)
		}
	})
	if storeErr != nil {
		t.Fatal(storeErr)
	}
	return testStore
}

func testConfig(t testing.TB) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(`
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: api, service: web, objective: 99.9, window: 28d, filter: {route: ^/api/}, sli: {type: availability}}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPrint(t *testing.T) {
	st := filled(t)
	res, err := Run(context.Background(), st, Options{Config: testConfig(t), Service: "web", Window: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	os.WriteFile("/tmp/suggest.json", b, 0o644)
}
