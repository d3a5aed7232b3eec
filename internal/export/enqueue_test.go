package export

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDeltaSurvivesAFailedQueue: a minute that cannot be queued (its
// queue's directory gone, as on a full disk) is logged, and a target
// taking deltas (Datadog) sends its change with the next minute's, so the
// points it sends still add up to every event; remote write's next
// cumulative sample carries it by itself. No partial file is left behind.
func TestDeltaSurvivesAFailedQueue(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	dir := t.TempDir()
	open := func(name string) *Queue {
		q, err := OpenQueue(filepath.Join(dir, name), 0, log)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	dd := &Target{Name: "export.datadog", Queue: open("dd"), Deltas: true}
	rw := &Target{Name: "export.remote_write[0]", Queue: open("rw")}
	targets := []*Target{dd, rw}
	good := key(SLOEvents, "slo", "avail", "service", "web", "result", "good")
	snap := func(m int, v float64) Snapshot {
		return Snapshot{At: start.Add(time.Duration(m) * time.Minute), Values: Values{good: v}}
	}
	// The first snapshot is the baseline: remote write's first sample, no delta.
	s0 := snap(0, 100)
	Enqueue(targets, s0, s0, nil, log)
	Enqueue(targets, s0, snap(1, 110), nil, log)

	// Minute 2 cannot be queued: the Datadog queue's directory is a file.
	ddDir := filepath.Join(dir, "dd")
	if err := os.Rename(ddDir, ddDir+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ddDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	Enqueue(targets, snap(1, 110), snap(2, 125), nil, log)
	if !strings.Contains(logged.String(), "export: queueing a minute") {
		t.Fatalf("the failed minute was not logged:\n%s", logged.String())
	}
	if err := os.Remove(ddDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(ddDir+".away", ddDir); err != nil {
		t.Fatal(err)
	}
	Enqueue(targets, snap(2, 125), snap(3, 131), nil, log)

	// Datadog's points: +10 at minute 0 (of minute 1's change), then
	// +21 at minute 2: minute 2's 15 and minute 3's 6.
	if points, sum := drainDatadog(t, dd.Queue); sum != 31 || len(points) != 2 {
		t.Errorf("Datadog points %v add up to %v, want 2 points adding up to 31 (131 - 100)", points, sum)
	}
	// Remote write: every minute's cumulative value, the last 131.
	var last Request
	for {
		r, ok, err := rw.Queue.Peek()
		if err != nil || !ok {
			break
		}
		last = r
		rw.Queue.Remove(r.Name)
	}
	if !last.At.Equal(start.Add(3 * time.Minute)) {
		t.Errorf("remote write's last queued minute %v, want minute 3", last.At)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*", "*.tmp"))
	if len(left) > 0 {
		t.Errorf("partial files left: %v", left)
	}
}

// drainDatadog removes every request from q and returns their points
// (minute=value) and the sum of their values.
func drainDatadog(t *testing.T, q *Queue) (points []string, sum float64) {
	t.Helper()
	for {
		r, ok, err := q.Peek()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return points, sum
		}
		var p ddPayload
		if err := json.Unmarshal(r.Data, &p); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Series {
			for _, pt := range s.Points {
				points = append(points, fmt.Sprintf("%s=%g", time.Unix(int64(pt[0]), 0).UTC().Format("15:04"), pt[1]))
				sum += pt[1]
			}
		}
		q.Remove(r.Name)
	}
}

// TestDeltasAcrossARestart: serve restarted within an hour sends Datadog
// the change since the last minute it queued with its first minute, so the
// points add up to every event across the restart, whether the last run
// queued a change or only took its baseline; after more than an hour it
// starts afresh (Datadog's bound); a kill between saving a minute's totals
// and queueing its change loses that change, never sends it twice.
func TestDeltasAcrossARestart(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	good := key(SLOEvents, "slo", "avail", "service", "web", "result", "good")
	bucket := key(HTTPDurationBkt, "service", "web", "route", "/", "le", "0.1")
	snap := func(m time.Duration, v float64) Snapshot {
		return Snapshot{At: start.Add(m * time.Minute), Values: Values{good: v, bucket: 3 * v}}
	}
	run := func(dir string) *Target {
		q, err := OpenQueue(dir, 0, log)
		if err != nil {
			t.Fatal(err)
		}
		tg := &Target{Name: "export.datadog", Queue: q, Deltas: true, MaxAge: DatadogMaxAge}
		KeepBaselines([]*Target{tg}, log)
		return tg
	}
	first := func(tg *Target, s Snapshot) { Enqueue([]*Target{tg}, s, s, nil, log) }
	next := func(tg *Target, prev, cur Snapshot) { Enqueue([]*Target{tg}, prev, cur, nil, log) }

	for _, c := range []struct {
		name    string
		queued  bool          // the first run queued a change
		kill    bool          // the first run was killed between saving a minute's totals and queueing its change
		restart time.Duration // the minute of the second run's first snapshot
		want    float64       // what Datadog's points add up to
	}{
		{"within an hour", true, false, 5, 140 - 100},
		{"within an hour, nothing queued before", false, false, 5, 140 - 100},
		{"a kill between saving and queueing", true, true, 5, 140 - 100 - 7},
		{"after more than an hour", true, false, 70, 110 - 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			a := run(dir)
			first(a, snap(0, 100))
			if c.queued {
				next(a, snap(0, 100), snap(1, 110))
			}
			if c.kill { // minute 2's totals saved, its change (+7) never queued
				a.saveBaseline(snap(2, 117), log)
			}
			b := run(dir)
			first(b, snap(c.restart, 140))
			if saved, err := os.ReadFile(filepath.Join(dir, baselineFile)); err != nil || strings.Contains(string(saved), HTTPDurationBkt) {
				t.Errorf("the saved totals (%v) hold series Datadog is not sent: %s", err, saved)
			}
			if _, sum := drainDatadog(t, b.Queue); sum != c.want {
				t.Errorf("the points add up to %v, want %v", sum, c.want)
			}
		})
	}
}
