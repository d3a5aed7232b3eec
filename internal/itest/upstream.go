package itest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// StartUpstream starts an HTTP server on 127.0.0.1 that answers by path:
//
//	/status/{code}  that status (200–599), with a short text body
//	/slow/{ms}      200 after ms milliseconds (or when the client goes away)
//	anything else   200
//
// so tests can drive 200, 404, 500, slow responses through a proxy. The server
// is closed by t.Cleanup.
func StartUpstream(t testing.TB) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil || code < 200 || code > 599 {
			http.Error(w, "status must be 200-599", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		if code != http.StatusNoContent && code != http.StatusNotModified {
			_, _ = w.Write([]byte("status " + strconv.Itoa(code) + "\n"))
		}
	})
	mux.HandleFunc("/slow/{ms}", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.PathValue("ms"))
		if err != nil || ms < 0 {
			http.Error(w, "ms must be a non-negative integer", http.StatusBadRequest)
			return
		}
		timer := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte("slow " + strconv.Itoa(ms) + "ms\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
