package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/tail"
)

// TestHealthz: /healthz says ok only while every log is read, committed
// and nearly caught up; a log that fails (its commits, say) or is far
// behind makes it degraded (503) with the reason, and states that cannot
// be read make it unhealthy.
func TestHealthz(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	const log = "/var/log/nginx/access.log"
	ok := tail.State{Log: log, Service: "web", Files: 2, Behind: 120, LastPoll: now, LastData: now, Lines: 1000}
	with := func(f func(*tail.State)) tail.State {
		st := ok
		f(&st)
		return st
	}
	for _, tc := range []struct {
		name    string
		sources SourcesFunc
		code    int
		status  string
		reasons []string // each in one of the reasons
	}{
		{"no sources", nil, 200, "ok", nil},
		{"healthy", func(context.Context) ([]tail.State, error) { return []tail.State{ok}, nil }, 200, "ok", nil},
		{"failing commits", func(context.Context) ([]tail.State, error) {
			return []tail.State{with(func(s *tail.State) {
				s.LastError, s.LastErrorAt, s.LastData = "commit: disk I/O error", now, now.Add(-time.Minute)
				s.Behind = 23 << 20
			})}, nil
		}, 503, "degraded", []string{log + " (service web): commit: disk I/O error", log + " (service web): 23.0 MiB behind, more than 16 MiB"}},
		{"far behind", func(context.Context) ([]tail.State, error) {
			return []tail.State{with(func(s *tail.State) { s.Behind = MaxBytesBehind + 1 })}, nil
		}, 503, "degraded", []string{"MiB behind"}},
		{"just behind", func(context.Context) ([]tail.State, error) {
			return []tail.State{with(func(s *tail.State) { s.Behind = MaxBytesBehind })}, nil
		}, 200, "ok", nil},
		{"no file", func(context.Context) ([]tail.State, error) {
			return []tail.State{with(func(s *tail.State) { s.Files = 0 })}, nil
		}, 503, "degraded", []string{"no file matches " + log}},
		{"an old error, read since", func(context.Context) ([]tail.State, error) {
			return []tail.State{with(func(s *tail.State) { s.LastError, s.LastErrorAt = "commit: busy", now.Add(-time.Hour) })}, nil
		}, 200, "ok", nil},
		{"store unreadable", func(context.Context) ([]tail.State, error) { return nil, errors.New("store unreachable") }, 503, "unhealthy", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Listen: "127.0.0.1:0", Sources: tc.sources, StoreSize: func() int64 { return 4096 }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- s.Serve(ctx) }()
			resp, err := http.Get("http://" + s.Addr() + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Status  string
				Reasons []string
				Error   string
				Details health
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("GET /healthz: %v", err)
			}
			if resp.StatusCode != tc.code || body.Status != tc.status {
				t.Errorf("GET /healthz = %d %+v, want %d %q", resp.StatusCode, body, tc.code, tc.status)
			}
			if len(body.Reasons) != len(tc.reasons) {
				t.Errorf("reasons %q, want %d with %q", body.Reasons, len(tc.reasons), tc.reasons)
			}
			for i, want := range tc.reasons {
				if i < len(body.Reasons) && !strings.Contains(body.Reasons[i], want) {
					t.Errorf("reason %q, want it to say %q", body.Reasons[i], want)
				}
			}
			if tc.status == "unhealthy" && body.Error != "store unreachable" {
				t.Errorf("error %q, want the store's", body.Error)
			}
			if body.Details.StoreBytes != 4096 || body.Details.Sources == nil {
				t.Errorf("details %+v, want the store's size and the sources", body.Details)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	if _, err := New(Options{Listen: "127.0.0.1:-1"}); err == nil {
		t.Error("a bad listen address was accepted")
	}
}
