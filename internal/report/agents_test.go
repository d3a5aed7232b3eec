package report_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestAgents: an agent shows its state as of its last push, and is silent
// from 90 s (three missed heartbeats) after it.
func TestAgents(t *testing.T) {
	_, st, eng := headroomtest.Open(t, `
server: {push: {token_env: T}}
services: [{name: shop}]
`)
	ctx := context.Background()
	pushed := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	state := `{"lines":1200,"malformed":3,"last_event":` + itoa(pushed.Add(-2*time.Second).UnixMilli()) + `,"spool_commits":4,"spool_bytes":900,"dropped":1,"broken":["/var/log/x.log: permission denied"]}`
	if _, err := st.CommitPush(ctx, "node-a", "i1", state, []store.PushedCommit{{Seq: 1, Batch: &store.Batch{}}}, pushed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after  time.Duration
		silent bool
	}{{0, false}, {89 * time.Second, false}, {90 * time.Second, true}} {
		agents, err := eng.Agents(ctx, pushed.Add(tc.after))
		if err != nil || len(agents) != 1 {
			t.Fatalf("agents %+v, %v", agents, err)
		}
		a := agents[0]
		if a.Name != "node-a" || a.Silent != tc.silent || a.Lines != 1200 || a.Malformed != 3 || a.SpoolCommits != 4 || a.Dropped != 1 ||
			len(a.Broken) != 1 || a.LagSeconds == nil || *a.LagSeconds != 2+tc.after.Seconds() {
			t.Errorf("%v after the push: %+v (lag %v); want silent %v", tc.after, a, a.LagSeconds, tc.silent)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
