package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/store"
)

// oldLog writes a config and three days of traffic ending at end (irregular,
// with bursts of 5xx) and returns the config path and the requests' times
// and statuses, to count the truth from.
func oldLog(t *testing.T, end time.Time) (cfg string, times []time.Time, statuses []int) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	start := end.Add(-72 * time.Hour)
	for at := start; at.Before(end); at = at.Add(time.Duration(1+rng.IntN(40)) * time.Second) {
		status := 200
		if h := at.Sub(start).Hours(); (h > 20 && h < 20.5) || (h > 60 && h < 60.2) || rng.IntN(200) == 0 {
			status = 503
		}
		times, statuses = append(times, at), append(statuses, status)
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /api/items/%d HTTP/1.1\" %d 10 \"-\" \"curl\" 0.010 0.010\n",
			at.Format("02/Jan/2006:15:04:05 -0700"), rng.IntN(100), status)
	}
	if err := os.WriteFile(filepath.Join(dir, "access.log"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, fmt.Sprintf(`storage: {dir: ./data}
services:
  - name: web
    logs: [{path: ./access.log, log_format: '%s'}]
slos:
  - {name: avail, service: web, objective: 99.5, window: 28d, alerting: {min_events: 10}, sli: {type: availability}}
`, logFormat))
	return cfg, times, statuses
}

// windowTruth counts the requests in each status window ending at the
// minute after at.
func windowTruth(times []time.Time, statuses []int, at time.Time) map[string][2]float64 {
	end := at.Truncate(time.Minute).Add(time.Minute)
	out := map[string][2]float64{}
	for _, w := range []struct {
		name string
		d    time.Duration
	}{{"5m", 5 * time.Minute}, {"30m", 30 * time.Minute}, {"1h", time.Hour}, {"6h", 6 * time.Hour}, {"1d", 24 * time.Hour}, {"3d", 72 * time.Hour}} {
		var total, bad float64
		for i, t := range times {
			if !t.Before(end.Add(-w.d)) && t.Before(end) {
				total++
				if statuses[i] >= 500 {
					bad++
				}
			}
		}
		out[w.name] = [2]float64{total, bad}
	}
	return out
}

func statusWindows(t *testing.T, cfg string, at time.Time) (map[string][2]float64, SLOStatus) {
	t.Helper()
	r := run(t, "", "status", "--config", cfg, "--at", at.Format(time.RFC3339), "--json")
	if r.code != 0 {
		t.Fatalf("status: %d %s", r.code, r.stderr)
	}
	var rep StatusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.SLOs) != 1 {
		t.Fatalf("status --json: %v %s", err, r.stdout)
	}
	out := map[string][2]float64{}
	for w, c := range rep.SLOs[0].Events {
		if c != nil {
			out[w] = [2]float64{c.Total, c.Bad()}
		}
	}
	return out, rep.SLOs[0]
}

// TestHistoryIsExact: every burn window over history older than the minute
// retention equals a count of the raw log, the same log shifted in time
// gives the same counts and the same backtest, looking at it with
// `serve --at` deletes nothing, and once a live serve has pruned its
// minutes the short windows say so instead of answering wrongly.
func TestHistoryIsExact(t *testing.T) {
	old := time.Date(2015, 5, 20, 21, 5, 59, 0, time.UTC)
	recent := old.Add(time.Duration(int(time.Since(old).Hours()/24/7)-1) * 7 * 24 * time.Hour) // whole weeks later, last week
	var backtests []string
	for _, at := range []time.Time{old, recent} {
		cfg, times, statuses := oldLog(t, at.Add(time.Second))
		if r := run(t, "", "import", "--config", cfg, "--quiet"); r.code != 0 {
			t.Fatalf("import: %d %s", r.code, r.stderr)
		}
		want := windowTruth(times, statuses, at)
		got, _ := statusWindows(t, cfg, at)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: windows (total, bad) (-raw log +headroom):\n%s", at.Year(), diff)
		}
		r := run(t, "", "alerts", "backtest", "--config", cfg, "--from", at.Add(-72*time.Hour).Format(time.RFC3339), "--to", at.Format(time.RFC3339), "--json")
		if r.code != 0 {
			t.Fatalf("backtest: %d %s", r.code, r.stderr)
		}
		var bt BacktestReport
		if err := json.Unmarshal([]byte(r.stdout), &bt); err != nil {
			t.Fatal(err)
		}
		var eps []string
		for _, e := range bt.Episodes {
			eps = append(eps, fmt.Sprintf("%s +%v", e.Key, e.Fired.Sub(at)))
		}
		backtests = append(backtests, strings.Join(eps, ", "))
		if len(eps) == 0 {
			t.Errorf("%v: the backtest fired nothing over two outages", at.Year())
		}

		if at != old {
			continue
		}
		// Looking at history deletes nothing.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		errw := &itest.SyncBuffer{}
		go func() {
			done <- Run(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0", "--at", at.Format(time.RFC3339)}, Stdio{In: strings.NewReader(""), Out: errw, Err: errw})
		}()
		waitFor(t, func() bool { return strings.Contains(errw.String(), "Dashboard:") }, errw.String)
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve --at: exit %d: %s", code, errw.String())
		}
		if got, _ := statusWindows(t, cfg, at); !cmp.Equal(want, got) {
			t.Errorf("after serve --at: %v, want %v", got, want)
		}

		// A live serve's retention prunes the minutes: the windows that
		// need them have no answer, and say why.
		st, err := store.Open(filepath.Join(filepath.Dir(cfg), "data"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Prune(context.Background(), time.Now(), 100*24*time.Hour, 0, 0); err != nil {
			t.Fatal(err)
		}
		st.Close()
		got, s := statusWindows(t, cfg, at)
		for _, w := range []string{"5m", "30m", "1h", "6h", "1d", "3d"} {
			if _, ok := got[w]; ok || s.BurnRates[w] != nil || !strings.Contains(s.Unavailable[w], "storage.retention.minutes") {
				t.Errorf("pruned %s window: events %v, burn %v, unavailable %q: want none, with the reason", w, got[w], s.BurnRates[w], s.Unavailable[w])
			}
		}
		if s.WindowStart.Minute() != 0 || s.Total != float64(len(times)) {
			t.Errorf("pruned 28d window: from %v, %v events: want whole hours, all %d events", s.WindowStart, s.Total, len(times))
		}
		r = run(t, "", "status", "--config", cfg, "--at", at.Format(time.RFC3339))
		if !strings.Contains(r.stdout, "not answerable exactly any more: minute cells before") {
			t.Errorf("status does not say why windows are missing:\n%s", r.stdout)
		}
	}
	if backtests[0] != backtests[1] {
		t.Errorf("the backtests of a log and of it shifted in time differ:\n%s\n%s", backtests[0], backtests[1])
	}
}

// waitFor polls cond until it holds (at most 10 s).
func waitFor(t *testing.T, cond func() bool, say func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", say())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
