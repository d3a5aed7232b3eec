//go:build unix

package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/export"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/push"
)

// BenchmarkAgentExportMinute is the agent exporter's work for one minute
// of a log at 2,000 lines a second (120,000 requests over 300 routes, 2
// methods, 7 statuses, spooled as 6 commits: a poll every 10 s): reading
// and decoding the spool rows, counting their cells, storing the cursor and
// totals, and encoding and queueing the minute for remote write and
// Datadog (not sending). It reports the process's CPU time per minute (the
// timed part, garbage collection included) as a share of one core,
// cpu-share-% (wall time per op on a busy machine counts waiting too).
func BenchmarkAgentExportMinute(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("DD_KEY", "k")
	cfg := headroomtest.Config(b, fmt.Sprintf(`
storage: {dir: %s}
agent: {name: node-a}
services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
slos:
  - {name: web-availability, service: web, objective: 99, window: 28d, sli: {type: availability}}
  - {name: web-latency, service: web, objective: 99, window: 28d, sli: {type: latency, threshold: 300ms}}
export: {remote_write: [{url: "http://127.0.0.1:9/api/v1/write"}], datadog: {url: "http://127.0.0.1:9", api_key_env: DD_KEY}}
`, dir))
	st := headroomtest.Store(b, dir)
	ctx := context.Background()
	targets, err := export.Targets(cfg, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	clk := &fakeClock{now: t0}
	x, err := newExporter(ctx, cfg, st, "node-a", targets, exportOptions{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	layout := cells.NewLayout(300)
	// rows returns a minute's 6 spool rows.
	rows := func(m time.Time) [][]byte {
		var out [][]byte
		for range 6 {
			type dim struct {
				route, method string
				status        int
			}
			byDim := map[dim]*cells.Entry{}
			for range 20000 {
				d := dim{"/api/r" + string(rune('a'+rng.IntN(25))) + string(rune('a'+rng.IntN(12))), []string{"GET", "POST"}[rng.IntN(2)],
					[]int{200, 200, 200, 201, 304, 404, 500}[rng.IntN(7)]}
				e := byDim[d]
				if e == nil {
					e = &cells.Entry{}
					byDim[d] = e
				}
				e.Count++
				e.Hist.Add(layout.Bucket(int64(rng.ExpFloat64()*200000)), 1)
			}
			min := push.Minute{Start: m.Unix()}
			for d, e := range byDim {
				pe := push.Entry{Host: "a", Route: d.route, Method: d.method, Status: d.status, Count: e.Count}
				for _, bk := range e.Hist {
					pe.Hist = append(pe.Hist, [2]uint64{uint64(bk.Le), bk.N})
				}
				min.Entries = append(min.Entries, pe)
			}
			data, err := json.Marshal([]push.Service{{Name: "web", Minutes: []push.Minute{min}}})
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, data)
		}
		return out
	}
	m := t0
	spool := func() {
		for _, data := range rows(m) {
			if _, _, err := st.CommitSpool(ctx, nil, data, 1<<40); err != nil {
				b.Fatal(err)
			}
		}
		m = m.Add(time.Minute)
		clk.Set(m.Add(31 * time.Second))
	}
	spool() // the first minute makes every series
	if err := x.step(ctx, x.due()); err != nil {
		b.Fatal(err)
	}
	var rowBytes int
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		spool()
		sp, _ := st.Spool(ctx, x.cursor())
		rowBytes = int(sp.Bytes)
		b.StartTimer()
		c0 := rusage(b)
		if err := x.step(ctx, x.due()); err != nil {
			b.Fatal(err)
		}
		cpu += rusage(b) - c0
		b.StopTimer()
		for _, t := range targets { // what the senders would do
			for {
				r, ok, err := t.Queue.Peek()
				if err != nil || !ok {
					break
				}
				t.Queue.Remove(r.Name)
			}
		}
		if err := st.TrimSpool(ctx, x.cursor()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	state, _, _ := st.Meta(ctx, exportStateKey)
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/60e9*100, "cpu-share-%")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/min")
	b.ReportMetric(float64(len(x.state.Running.Totals)), "series")
	b.ReportMetric(float64(len(state)), "state-B")
	b.ReportMetric(float64(rowBytes), "spool-B/min")
}

// rusage is the process's user and system CPU time so far.
func rusage(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
