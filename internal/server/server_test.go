package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

func TestHealthz(t *testing.T) {
	for _, tc := range []struct {
		name   string
		health Health
		code   int
		status string
	}{
		{"healthy", func(context.Context) (any, error) { return map[string]int{"sources": 1}, nil }, 200, "ok"},
		{"unhealthy", func(context.Context) (any, error) { return nil, errors.New("store unreachable") }, 503, "unhealthy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Listen: "127.0.0.1:0", Health: tc.health})
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
			var body map[string]any
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("GET /healthz: %v", err)
			}
			if resp.StatusCode != tc.code || body["status"] != tc.status {
				t.Errorf("GET /healthz = %d %v, want %d %q", resp.StatusCode, body, tc.code, tc.status)
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
