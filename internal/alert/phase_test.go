package alert

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/headroom-slo/headroom/internal/slo"
)

func TestPhaseText(t *testing.T) {
	for _, p := range []Phase{Unknown, Inactive, Pending, Firing} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Phase
		if err := json.Unmarshal(b, &back); err != nil || back != p {
			t.Errorf("%v → %s → %v (%v)", p, b, back, err)
		}
	}
	// Stored states written before Phase was typed decode as they were.
	var s State
	if err := json.Unmarshal([]byte(`{"key":"burn/a/page-1h","kind":"burn","phase":"firing"}`), &s); err != nil || s.Phase != Firing || s.Kind != KindBurn {
		t.Errorf("stored state: %+v %v", s, err)
	}
	if err := json.Unmarshal([]byte(`"burning"`), new(Phase)); err == nil {
		t.Error("an unknown phase name decodes")
	}
	if _, err := json.Marshal(Phase(9)); err == nil {
		t.Error("a phase out of range encodes")
	}
	if got := Pending.String(); got != "pending" {
		t.Errorf("Pending.String() = %q", got)
	}
	if Inactive.Active() || Unknown.Active() || !Pending.Active() || !Firing.Active() {
		t.Error("Active: want pending and firing only")
	}
}

func TestUrgency(t *testing.T) {
	states := []State{
		{Key: "a", SLO: "x", Phase: Inactive, Severity: "page"},
		{Key: "b", SLO: "x", Phase: Pending, Severity: "page"},
		{Key: "c", SLO: "x", Phase: Firing, Severity: "ticket"},
		{Key: "f", SLO: "x", Phase: Firing, Severity: "page"},
		{Key: "e", SLO: "x", Phase: Pending, Severity: "ticket"},
		{Key: "d", SLO: "y", Phase: Firing, Severity: "page"},
	}
	sorted := slices.Clone(states)
	SortByUrgency(sorted)
	var keys []string
	for _, s := range sorted {
		keys = append(keys, s.Key)
	}
	if diff := cmp.Diff([]string{"d", "f", "c", "b", "e", "a"}, keys); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name   string
		states []State
		slo    string
		want   string // key; "" for none
	}{
		{"firing page beats firing ticket", states, "x", "f"},
		{"firing ticket beats pending page", states[:3], "x", "c"},
		{"pending", states[:2], "x", "b"},
		{"inactive only", states[:1], "x", ""},
		{"other SLO", states, "z", ""},
	} {
		got := MostUrgent(tc.states, tc.slo)
		if got.Key != tc.want || (tc.want == "" && got.Phase != Inactive) {
			t.Errorf("%s: MostUrgent = %q (%v), want %q", tc.name, got.Key, got.Phase, tc.want)
		}
	}
}

func TestKindAlertName(t *testing.T) {
	for k, want := range map[Kind]string{KindBurn: "SLOBurnRate", KindExhausted: "SLOBudgetExhausted", KindNoData: "SLONoData"} {
		if got := k.AlertName(); got != want {
			t.Errorf("%s.AlertName() = %q, want %q", k, got, want)
		}
	}
}

// TestUnmeasuredWindowsLeaveTiersAsTheyAre: a window the store cannot
// answer any more (pruned history) is missing from a Measure; the tiers that
// need it neither fire nor resolve on a made-up zero.
func TestUnmeasuredWindowsLeaveTiersAsTheyAre(t *testing.T) {
	p := defaultPolicy()
	e := NewEvaluator([]Policy{p}, nil)
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	all := Measure{SLO: "web", Period: 30 * 24 * time.Hour, Objective: 0.999, Windows: map[time.Duration]slo.Counts{}, BudgetRemaining: 0.5, WindowEvents: 1e6}
	for _, w := range Windows([]Policy{p}) {
		all.Windows[w] = slo.Counts{Total: 1000, Good: 500} // burning at 500×
	}
	fired := map[string]bool{}
	for _, tr := range e.Step(at, []Measure{all}, nil) {
		fired[tr.State.Key] = tr.To == Firing
	}
	if !fired["burn/web/page-1h"] {
		t.Fatalf("page-1h did not fire at 500×: %v", fired)
	}
	// The short windows are gone: nothing moves.
	pruned := all
	pruned.Windows = map[time.Duration]slo.Counts{}
	for w, c := range all.Windows {
		if w >= 24*time.Hour {
			pruned.Windows[w] = c
		}
	}
	if trs := e.Step(at.Add(time.Minute), []Measure{pruned}, nil); len(trs) != 0 {
		t.Errorf("unmeasured windows moved alerts: %+v", trs)
	}
	for _, s := range e.States() {
		if s.Key == "burn/web/page-1h" && s.Phase != Firing {
			t.Errorf("page-1h is %v after a step without its windows, want still firing", s.Phase)
		}
	}
}
