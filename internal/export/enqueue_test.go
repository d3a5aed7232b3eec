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
	var points []string
	var sum float64
	for {
		r, ok, err := dd.Queue.Peek()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
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
		dd.Queue.Remove(r.Name)
	}
	if sum != 31 || len(points) != 2 {
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
