package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestResetService checks that a reset forgets one service's cells at every
// resolution, dimensions, files and samples, in one go, and nothing else:
// not the other services, nor alert history, changes and toil.
func TestResetService(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	d := DimValue{Host: "a", Route: "/x", Method: "GET", Status: 200}
	for _, svc := range []string{"web", "api"} {
		var b Batch
		b.Add(svc, at.Unix(), d, 5, 3)
		b.Add(svc, at.Add(25*time.Hour).Unix(), d, 5, 1)
		b.Sources = []SourceUpdate{{Fingerprint: svc + "-f", Service: svc, Log: "x.log", Path: "x.log", To: 100, Lines: 5, Malformed: 1,
			Samples: []MalformedLine{{Path: "x.log", Line: 5, Reason: "bad"}}}}
		if err := s.Commit(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveAlerts(ctx, map[string][]byte{"web-avail/page-1h": []byte(`{}`)}, []AlertEvent{{Key: "web-avail/page-1h", At: at, Data: []byte(`{}`)}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddChanges(ctx, []ChangeEvent{{Service: "web", Kind: "deploy", Version: "v1", At: at}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToil(ctx, ToilEntry{At: at, Minutes: 30, Category: "interrupt", Service: "web"}); err != nil {
		t.Fatal(err)
	}
	var changes []Change
	s.OnChange(func(c Change) { changes = append(changes, c) })
	before, err := s.Commits(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// 2 minutes, 2 hours and 2 days; 1 dimension, 1 file, 1 sample.
	want := Footprint{Cells: 6, Dims: 1, Files: 1, Samples: 1}
	if f, err := s.Footprint(ctx, Scope{Services: []string{"web"}}); err != nil || f != want {
		t.Fatalf("footprint = %+v, %v; want %+v", f, err, want)
	}
	got, err := s.ResetService(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("reset deleted %+v, want %+v", got, want)
	}
	if f, err := s.Footprint(ctx, Scope{Services: []string{"web"}}); err != nil || !f.Empty() {
		t.Errorf("footprint after reset = %+v, %v; want empty", f, err)
	}
	for _, res := range Resolutions {
		if got := sum(t, s, "web", res, 0, 1<<40); len(got) != 0 {
			t.Errorf("web cells at %ds after reset: %v", res, got)
		}
		if got := sum(t, s, "api", res, 0, 1<<40)[d]; got != 4 {
			t.Errorf("api at %ds: %d requests, want 4: another service was touched", res, got)
		}
	}
	if _, known, err := s.Source(ctx, "web-f"); err != nil || known {
		t.Errorf("web's file still known (%v)", err)
	}
	if samples, err := s.Samples(ctx, "web-f"); err != nil || len(samples) != 0 {
		t.Errorf("web's samples: %v, %v", samples, err)
	}
	if _, known, err := s.Source(ctx, "api-f"); err != nil || !known {
		t.Errorf("api's file forgotten (%v)", err)
	}
	if f, err := s.Footprint(ctx, Scope{Services: []string{"api"}}); err != nil || f != want {
		t.Errorf("api footprint = %+v, %v; want %+v", f, err, want)
	}
	// Kept: alert history, changes, toil.
	if states, err := s.AlertStates(ctx); err != nil || len(states) != 1 {
		t.Errorf("alert states: %v, %v", states, err)
	}
	if ev, err := s.AlertEvents(ctx, at.Add(-time.Hour), at.Add(time.Hour), 10); err != nil || len(ev) != 1 {
		t.Errorf("alert events: %v, %v", ev, err)
	}
	if ch, err := s.Changes(ctx, "web", at.Add(-time.Hour), at.Add(time.Hour)); err != nil || len(ch) != 1 {
		t.Errorf("changes: %v, %v", ch, err)
	}
	if toil, err := s.Toil(ctx, at.Add(-time.Hour), at.Add(time.Hour)); err != nil || len(toil) != 1 {
		t.Errorf("toil: %v, %v", toil, err)
	}
	// Readers learn that everything of web changed.
	after, err := s.Commits(ctx)
	if err != nil || after != before+1 {
		t.Errorf("commits %d → %d (%v), want one more", before, after, err)
	}
	if diff := cmp.Diff([]Change{{Service: "web", All: true, Commits: after}}, changes); diff != "" {
		t.Errorf("changes notified (-want +got):\n%s", diff)
	}
	// A new import of web starts afresh: its file from offset 0, new
	// dimension ids.
	var b Batch
	b.Add("web", at.Unix(), d, 5, 2)
	b.Sources = []SourceUpdate{{Fingerprint: "web-f", Service: "web", Log: "x.log", Path: "x.log", To: 100, Lines: 2}}
	if err := s.Commit(ctx, &b); err != nil {
		t.Fatalf("import after reset: %v", err)
	}
	if got := sum(t, s, "web", Day, 0, 1<<40)[d]; got != 2 {
		t.Errorf("web after reset and import: %d, want 2", got)
	}
	// An unknown service has nothing to forget.
	if f, err := s.ResetService(ctx, "nope"); err != nil || !f.Empty() {
		t.Errorf("reset of an unknown service: %+v, %v", f, err)
	}
}
