package cli

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/tail"
)

// TestSilentAgentIsNoData: serve's no-data inputs have one source per
// agent that pushed, broken once it is silent (90 s after its last push),
// which the evaluator turns into a no-data alert for that agent.
func TestSilentAgentIsNoData(t *testing.T) {
	_, st, eng := headroomtest.Open(t, `
server: {push: {token_env: T}}
services: [{name: shop}]
`)
	ctx := context.Background()
	for name, ago := range map[string]time.Duration{"node-a": 5 * time.Second, "node-b": 10 * time.Minute} {
		if _, err := st.CommitPush(ctx, name, "i", "{}", []store.PushedCommit{{Seq: 1, Batch: &store.Batch{}}}, time.Now().Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	health := sourceHealth(tail.New(st, nil, tail.Options{}), eng, slog.New(slog.DiscardHandler))()
	got := map[string]string{}
	for _, h := range health {
		got[h.Log] = h.Broken
	}
	if len(got) != 2 || got[alert.AgentLog("node-a")] != "" || !strings.HasPrefix(got[alert.AgentLog("node-b")], "no push since ") {
		t.Errorf("no-data inputs %q; want node-b broken (silent), node-a not", got)
	}
}
