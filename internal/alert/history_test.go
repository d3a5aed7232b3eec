package alert_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestHistory: what a Runner stored, read back as of now and as of a past
// instant, as events and as episodes.
func TestHistory(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	state := func(key, sev string, p alert.Phase, since time.Time) alert.State {
		return alert.State{Key: key, Kind: alert.KindBurn, SLO: "web", Service: "web", Tier: key, Severity: sev, Phase: p, Since: since}
	}
	tr := func(s alert.State, from alert.Phase) alert.Transition {
		t := alert.Transition{State: s, From: from, To: s.Phase, At: s.Since}
		if t.Resolved() {
			t.ResolvedAt = s.Since
		}
		return t
	}
	trs := []alert.Transition{
		tr(state("page-1h", "page", alert.Firing, t0), alert.Inactive),
		tr(state("ticket-1d", "ticket", alert.Pending, t0.Add(time.Minute)), alert.Inactive),
		tr(state("page-1h", "page", alert.Inactive, t0.Add(30*time.Minute)), alert.Firing),
		tr(state("ticket-1d", "ticket", alert.Firing, t0.Add(time.Hour)), alert.Pending),
	}
	states := map[string][]byte{}
	var events []store.AlertEvent
	for _, t := range trs {
		b, _ := json.Marshal(t.State)
		states[t.State.Key] = b
		b, _ = json.Marshal(t)
		events = append(events, store.AlertEvent{Key: t.State.Key, At: t.At, Data: b})
	}
	if err := st.SaveAlerts(ctx, states, events, nil); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Hour)
	h := alert.NewHistory(st, alert.HistoryOptions{Now: func() time.Time { return now }, Fresh: time.Minute})

	phases := func(ss []alert.State) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Key+"="+s.Phase.String())
		}
		return strings.Join(out, " ")
	}
	cur, err := h.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("ticket-1d=firing page-1h=inactive", phases(cur)); diff != "" {
		t.Errorf("Current (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now, "ticket-1d=firing page-1h=inactive"},                       // fresh: the last evaluation
		{t0.Add(10 * time.Minute), "page-1h=firing ticket-1d=pending"},   // rebuilt from the history
		{t0.Add(45 * time.Minute), "ticket-1d=pending page-1h=inactive"}, // the page resolved
		{t0.Add(-time.Minute), ""},                                       // before anything
		{t0, "page-1h=firing"},                                           // a change at at counts
	} {
		got, err := h.StatesAt(ctx, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, phases(got)); diff != "" {
			t.Errorf("StatesAt(%v) (-want +got):\n%s", tc.at, diff)
		}
	}
	evs, err := h.Events(ctx, t0, now, 0)
	if err != nil || len(evs) != 4 || evs[0].State.Key != "ticket-1d" || evs[0].To != alert.Firing {
		t.Fatalf("Events: %+v %v", evs, err)
	}
	if e := evs[1].Event(); e.From != alert.Firing || e.To != alert.Inactive || !strings.Contains(e.Summary, "resolved") {
		t.Errorf("Event: %+v", e)
	}
	eps, err := h.Episodes(ctx, t0.Add(20*time.Minute), now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range eps {
		got = append(got, e.Key+" "+e.Fired.Format("15:04")+"-"+e.Resolved.Format("15:04"))
	}
	// The page fired before the range and resolved in it; the ticket fires
	// in it and is still firing.
	if diff := cmp.Diff([]string{"page-1h 10:00-10:30", "ticket-1d 11:00-00:00"}, got); diff != "" {
		t.Errorf("Episodes (-want +got):\n%s", diff)
	}

	// A stored event that does not decode is named, not skipped.
	if err := st.SaveAlerts(ctx, nil, []store.AlertEvent{{Key: "burn/bad", At: now, Data: []byte(`{"to":"burning"}`)}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Events(ctx, t0, now.Add(time.Minute), 0); err == nil || !strings.Contains(err.Error(), "burn/bad") {
		t.Errorf("a corrupt event: %v", err)
	}
}
