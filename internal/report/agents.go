package report

import (
	"context"
	"encoding/json"
	"time"

	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/store"
)

// AgentSilentAfter is how long after its last push an agent counts as
// silent: three of its heartbeats missed.
const AgentSilentAfter = 3 * 30 * time.Second

// AgentLister is a store that knows the agents that push to it.
type AgentLister interface {
	Agents(ctx context.Context) ([]store.AgentState, error)
}

// Agent is what a server shows of an agent that pushes to it, as of its
// last push.
type Agent struct {
	Name     string    `json:"name"`
	LastPush time.Time `json:"last_push"`
	// Silent is true once the agent has not pushed for AgentSilentAfter.
	Silent bool `json:"silent"`
	// LastEvent is the latest line it read, and Lag how far that is behind
	// the instant of the report.
	LastEvent  *time.Time `json:"last_event"`
	LagSeconds *float64   `json:"lag_seconds"`
	Lines      int64      `json:"lines"`
	Malformed  int64      `json:"malformed"`
	Excluded   int64      `json:"excluded"`
	Unmatched  int64      `json:"unmatched"` // lines no service's match took
	// Spool is what waited in the agent's spool for this server, and
	// Dropped what its bound dropped.
	SpoolCommits int64    `json:"spool_commits"`
	SpoolBytes   int64    `json:"spool_bytes"`
	Dropped      int64    `json:"dropped"`
	Broken       []string `json:"broken"`
}

// Agents returns the agents that push to the engine's store, by name
// (none when the store takes no pushes).
func (e *Engine) Agents(ctx context.Context, now time.Time) ([]Agent, error) {
	l, ok := e.src.(AgentLister)
	if !ok {
		return nil, nil
	}
	all, err := l.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Agent, 0, len(all))
	for _, a := range all {
		var st push.State
		json.Unmarshal([]byte(a.State), &st) // a state that does not decode shows as zero
		ag := Agent{
			Name: a.Name, LastPush: a.LastPush, Silent: now.Sub(a.LastPush) >= AgentSilentAfter,
			Lines: st.Lines, Malformed: st.Malformed, Excluded: st.Excluded, Unmatched: st.Unmatched,
			SpoolCommits: st.SpoolCommits, SpoolBytes: st.SpoolBytes, Dropped: st.Dropped, Broken: st.Broken,
		}
		if ag.Broken == nil {
			ag.Broken = []string{}
		}
		if st.LastEvent > 0 {
			t := time.UnixMilli(st.LastEvent).UTC()
			lag := max(now.Sub(t).Seconds(), 0)
			ag.LastEvent, ag.LagSeconds = &t, &lag
		}
		out = append(out, ag)
	}
	return out, nil
}
