package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/notify"
)

// notes returns notes for target with data "target:name" for each name.
func notes(target string, names ...string) []notify.Note {
	var out []notify.Note
	for _, n := range names {
		out = append(out, notify.Note{Target: target, Data: []byte(target + ":" + n)})
	}
	return out
}

// drain returns what target has queued, oldest first, as data.
func drain(t *testing.T, s *Store, target string) []string {
	t.Helper()
	var out []string
	var after int64
	for {
		n, ok, err := s.NextNote(context.Background(), target, after)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, string(n.Data))
		after = n.ID
	}
}

func TestNotifyQueue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()

	b := &notify.Batch{Max: 3, Notes: append(notes("hook", "1", "2"), notes("am", "1")...)}
	if err := s.QueueNotes(ctx, b); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(b.Notes); i++ {
		if b.Notes[i].ID <= b.Notes[i-1].ID {
			t.Fatalf("IDs do not increase: %+v", b.Notes)
		}
	}
	// Over the bound: the head (which may be in delivery) stays, the
	// oldest waiting ones go, oldest first.
	b = &notify.Batch{Max: 3, Notes: notes("hook", "3", "4", "5", "6")}
	if err := s.QueueNotes(ctx, b); err != nil {
		t.Fatal(err)
	}
	var dropped []string
	for _, n := range b.Dropped {
		dropped = append(dropped, string(n.Data))
	}
	if diff := cmp.Diff([]string{"hook:2", "hook:3"}, dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"hook:1", "hook:4", "hook:5", "hook:6"}, drain(t, s, "hook")); diff != "" {
		t.Errorf("hook's queue (-want +got):\n%s", diff)
	}
	counts, last, err := s.QueuedNotes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"hook": 4, "am": 1}, counts); diff != "" || last != b.Notes[3].ID {
		t.Errorf("queued: last %d, want %d; counts (-want +got):\n%s", last, b.Notes[3].ID, diff)
	}

	// Removed notes are gone; IDs are never reused, so what is queued
	// next comes after everything queued before, across a reopen.
	head, _, err := s.NextNote(ctx, "hook", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveNote(ctx, head.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveNote(ctx, last); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"hook:4", "hook:5"}, drain(t, s, "hook")); diff != "" {
		t.Errorf("after a reopen (-want +got):\n%s", diff)
	}
	b = &notify.Batch{Max: 3, Notes: notes("hook", "7")}
	if err := s.SaveAlerts(ctx, map[string][]byte{"burn/x": []byte(`{}`)}, nil, b); err != nil {
		t.Fatal(err)
	}
	if b.Notes[0].ID <= last {
		t.Errorf("ID %d reused (the last one removed was %d)", b.Notes[0].ID, last)
	}
	if diff := cmp.Diff([]string{"hook:4", "hook:5", "hook:7"}, drain(t, s, "hook")); diff != "" {
		t.Errorf("after SaveAlerts (-want +got):\n%s", diff)
	}
}

// hookReceiver is a webhook receiver on loopback that answers 503 while
// down and counts what it accepted, by fingerprint.
type hookReceiver struct {
	srv  *httptest.Server
	down atomic.Bool

	mu       sync.Mutex
	order    []string       // fingerprints accepted, in order
	accepted map[string]int // by fingerprint
	refused  int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{accepted: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var p struct {
			Alert struct{ Fingerprint string } `json:"alert"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down.Load() {
			r.refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.order = append(r.order, p.Alert.Fingerprint)
		r.accepted[p.Alert.Fingerprint]++
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// TestQueueSurvivesRestart1000: a thousand state changes queued in the
// store for a webhook that is down are all delivered by the next process
// on the store, once each and in order, whether the first closed its
// store (SIGTERM) or just stopped (kill -9: SQLite has what was committed).
func TestQueueSurvivesRestart1000(t *testing.T) {
	const n = 1000
	for _, closeFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("closed=%v", closeFirst), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			hook := newHookReceiver(t)
			hook.down.Store(true)
			targets := []notify.Target{{Name: "hook", Type: notify.TypeWebhook, URL: hook.srv.URL}}
			opts := func(s *Store) notify.Options {
				return notify.Options{Queue: s, QueueSize: n, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
			}

			first, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := notify.NewDispatcher(targets, opts(first))
			if err != nil {
				t.Fatal(err)
			}
			var alerts []notify.Alert
			for i := range n {
				alerts = append(alerts, notify.Alert{Fingerprint: fmt.Sprintf("a%04d", i), Name: "SLOBurnRate", Severity: "page", State: notify.Firing})
			}
			b, err := d.Route(alerts)
			if err != nil {
				t.Fatal(err)
			}
			if err := first.SaveAlerts(ctx, nil, nil, b); err != nil {
				t.Fatal(err)
			}
			d.Queued(b)
			// The target is down: the head is retried, nothing leaves.
			runCtx, stop := context.WithCancel(ctx)
			ran := make(chan error, 1)
			go func() { ran <- d.Run(runCtx) }()
			for deadline := time.Now().Add(10 * time.Second); d.Stats()[0].Retries < 3; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no retries: %+v", d.Stats()[0])
				}
			}
			stop()
			if err := <-ran; err != nil {
				t.Fatal(err)
			}
			if st := d.Stats()[0]; st.Queued != n || st.Sent != 0 || st.Dropped != 0 {
				t.Fatalf("before the restart: %+v, want %d queued, none sent or dropped", st, n)
			}
			if closeFirst {
				first.Close()
			} else {
				t.Cleanup(func() { first.Close() })
			}

			// The next process, with the target up.
			second, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			hook.down.Store(false)
			d, err = notify.NewDispatcher(targets, opts(second))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if st := d.Stats()[0]; st.Queued != n {
				t.Fatalf("loaded %d queued, want %d", st.Queued, n)
			}
			runCtx, stop = context.WithCancel(ctx)
			defer stop()
			go func() { ran <- d.Run(runCtx) }()
			start := time.Now()
			for deadline := start.Add(60 * time.Second); d.Stats()[0].Queued > 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("not delivered after 60 s: %+v", d.Stats()[0])
				}
			}
			t.Logf("%d delivered %v after the restart", n, time.Since(start).Round(time.Millisecond))
			hook.mu.Lock()
			defer hook.mu.Unlock()
			if len(hook.order) != n {
				t.Fatalf("%d deliveries, want %d", len(hook.order), n)
			}
			for i, fp := range hook.order {
				if want := fmt.Sprintf("a%04d", i); fp != want || hook.accepted[fp] != 1 {
					t.Fatalf("delivery %d: %s (accepted %d times), want %s once", i, fp, hook.accepted[fp], want)
				}
			}
			if counts, _, err := second.QueuedNotes(ctx); err != nil || len(counts) != 0 {
				t.Errorf("left in the store: %v %v", counts, err)
			}
		})
	}
}
