package suggest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/sli"
)

// TestSeriesBacktestMatchesStoreBacktest replays the alert backtest over
// twenty hours around an incident twice: measured by report.Engine from the
// store at every minute (what `headroom alerts backtest` does), and from
// the series with the steps that cannot change anything left out. The
// transitions must be the same, and with Exact the episodes too.
func TestSeriesBacktestMatchesStoreBacktest(t *testing.T) {
	st := filled(t)
	ctx := context.Background()
	cands := []Candidate{
		{Type: "availability", Objective: 99.9},
		{Type: "availability", Objective: 99.99},
		{Type: "latency", Objective: 99, ThresholdMs: 600},
		{Type: "latency", Objective: 99.9, ThresholdMs: 250},
	}
	cfg, err := candidateConfig("web", "7d", cands, testConfig(t).Alerting)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := alert.Policies(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Incident A is on day 12 from 10:00 to 12:00.
	from, to := t0.Add(12*24*time.Hour+4*time.Hour), t0.Add(13*24*time.Hour)
	eng, err := report.New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	wantTr, wantEp, err := alert.Backtest(ctx, eng, policies, from, to, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]int{}
	for _, e := range wantEp {
		fired[e.Severity]++
	}
	if fired["page"] == 0 || fired["ticket"] == 0 {
		t.Fatalf("the store-backed backtest fired %v: want pages and tickets to compare", fired)
	}
	svc, err := st.ServiceID(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := st.Dims(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	floors, err := sli.ReadFloors(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSeries(ctx, st, svc, dims, from.Add(-7*24*time.Hour).Unix(), to.Unix(), []uint32{250, 600})
	if err != nil {
		t.Fatal(err)
	}
	for _, exact := range []bool{true, false} {
		m, err := NewSeriesMeasurer(s, floors, sli.CompileAll(cfg), policies, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		m.Exact = exact
		gotTr, gotEp, err := alert.Backtest(ctx, m, policies, from, to, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(wantTr, gotTr); d != "" {
			t.Errorf("exact %v: transitions differ (-store +series):\n%s", exact, d)
		}
		opts := []cmp.Option{}
		if !exact {
			opts = append(opts, cmpopts.IgnoreFields(alert.Episode{}, "BurningSince", "Detection", "RecoveredAt", "Reset"))
		}
		if d := cmp.Diff(wantEp, gotEp, opts...); d != "" {
			t.Errorf("exact %v: episodes differ (-store +series):\n%s", exact, d)
		}
		if m.Skipped == 0 || m.Measured == 0 {
			t.Errorf("exact %v: measured %d, skipped %d: want both", exact, m.Measured, m.Skipped)
		}
		t.Logf("exact %v: %d measures, %d left out; %d episodes", exact, m.Measured, m.Skipped, len(gotEp))
	}
}
