package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestMaintenanceInSeriesAndTraffic: an SLO's series leaves a window's
// minutes out and lists the window; its breakdown leaves them out too;
// the service's traffic counts them and lists the window.
func TestMaintenanceInSeriesAndTraffic(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cfg := headroomtest.Config(t, `
services:
  - {name: web, logs: [{path: /dev/null}]}
slos:
  - {name: avail, service: web, objective: 99.9, window: 7d, sli: {type: availability}}
maintenance:
  - {service: web, start: "2026-11-01T01:00:00Z", duration: 30m, note: upgrade}
`)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	le := cells.NewLayout().Bucket(20_000)
	headroomtest.Fill(t, st, "web", start, 120, func(at time.Time, add headroomtest.AddFunc) {
		status := 200
		if at.Sub(start) >= time.Hour && at.Sub(start) < 90*time.Minute {
			status = 503 // the maintenance: every request fails
		}
		add(store.DimValue{Host: "a", Route: "/", Method: "GET", Status: status}, le, 10)
	})
	eng := headroomtest.Engine(t, cfg, st)
	ctx := context.Background()
	ser, err := eng.Series(ctx, "avail", start, start.Add(2*time.Hour), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var total, bad float64
	for _, p := range ser.Points {
		total += p.Total
		bad += p.Bad
	}
	if total != 900 || bad != 0 {
		t.Errorf("series: %v events, %v bad; want 900 and 0 (the window's 300 left out)", total, bad)
	}
	if len(ser.Maintenance) != 1 || ser.Maintenance[0].Note != "upgrade" || !ser.Maintenance[0].Start.Equal(start.Add(time.Hour)) {
		t.Errorf("series maintenance: %+v", ser.Maintenance)
	}
	b, err := eng.Breakdown(ctx, "avail", start, start.Add(2*time.Hour), "status", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range b.Rows {
		if row.Key == "503" && row.Bad > 0 {
			t.Errorf("breakdown counts the window's 503s: %+v", row)
		}
	}
	for at, open := range map[time.Duration]bool{75 * time.Minute: true, 90 * time.Minute: false} {
		s, err := eng.SLO(ctx, "avail", start.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		if (s.Maintenance != nil) != open || open && s.Maintenance.Note != "upgrade" {
			t.Errorf("SLO at +%v: maintenance %+v, want open %v", at, s.Maintenance, open)
		}
	}
	svc, err := eng.Service(ctx, "web", start, start.Add(2*time.Hour), 15*time.Minute, 5)
	if err != nil {
		t.Fatal(err)
	}
	if svc.Requests != 1200 || len(svc.Maintenance) != 1 {
		t.Errorf("service: %v requests, want 1200 (traffic keeps the window's); maintenance %+v", svc.Requests, svc.Maintenance)
	}
}
