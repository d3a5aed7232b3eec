package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/rum"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"bad parameter", badParam("step", "10s", "a duration of at least 1m"), 400},
		{"bad request wrapped", fmt.Errorf("series: %w", badRequest("from after to")), 400},
		{"bad request wrapping an error", badRequest("%w", errors.New("sprint \"x\": want a date")), 400},
		{"engine's bad request", fmt.Errorf("by %q: %w", "colour", report.ErrBadRequest), 400},
		{"unauthorized", clientErrorf(errUnauthorized, "credentials required"), 401},
		{"forbidden", forbidden("cross-origin write refused"), 403},
		{"not found", notFound("no page at /x"), 404},
		{"engine's not found", fmt.Errorf("slo %q: %w", "nope", report.ErrNotFound), 404},
		{"method not allowed", clientErrorf(errMethodNotAllowed, "POST a beacon"), 405},
		{"beacon too large", &rum.Rejection{Status: 413, Reason: "too_large"}, 413},
		{"beacon rate limited", fmt.Errorf("accept: %w", &rum.Rejection{Status: 429, Reason: "rate_limited"}), 429},
		{"timeout", fmt.Errorf("%w: %w", errTimeout, errors.New("interrupted")), 503},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 503},
		{"internal", errors.New("database disk image is malformed"), 500},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), 500},
		{"a message that says not found", errors.New("not found"), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusOf(tc.err); got != tc.want {
				t.Errorf("statusOf(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

// fakeEngine answers every question with err, after blocking until the
// request's context ends when block is set. Its config is cfg, or one
// service, web.
type fakeEngine struct {
	err   error
	block bool
	cfg   *config.Config
}

func (f fakeEngine) fail(ctx context.Context) error {
	if f.block {
		<-ctx.Done()
	}
	return f.err
}

func (f fakeEngine) Config() *config.Config {
	if f.cfg != nil {
		return f.cfg
	}
	return &config.Config{Services: []config.Service{{Name: "web"}}}
}
func (f fakeEngine) ServiceNames() []string              { return []string{"web"} }
func (f fakeEngine) Spec(name string) (*sli.Spec, error) { return nil, f.err }
func (f fakeEngine) SLOs(ctx context.Context, at time.Time, service string) ([]report.SLO, error) {
	return nil, f.fail(ctx)
}
func (f fakeEngine) SLO(ctx context.Context, name string, at time.Time) (*report.SLO, error) {
	return nil, f.fail(ctx)
}
func (f fakeEngine) Series(ctx context.Context, name string, from, to time.Time, step time.Duration) (*report.Series, error) {
	return nil, f.fail(ctx)
}
func (f fakeEngine) Breakdown(ctx context.Context, name string, from, to time.Time, by string, limit int) (*report.Breakdown, error) {
	return nil, f.fail(ctx)
}
func (f fakeEngine) Service(ctx context.Context, name string, from, to time.Time, step time.Duration, topN int) (*report.Service, error) {
	return nil, f.fail(ctx)
}
func (f fakeEngine) Vitals(ctx context.Context, service string, from, to time.Time) ([]report.PageVitals, error) {
	return nil, f.fail(ctx)
}
func (f fakeEngine) Counts(ctx context.Context, name string, from, to time.Time) (slo.Counts, error) {
	return slo.Counts{}, f.fail(ctx)
}
func (f fakeEngine) Agents(ctx context.Context, now time.Time) ([]report.Agent, error) {
	return nil, f.fail(ctx)
}

// fakeJournal keeps what it is given, or fails with err.
type fakeJournal struct {
	err     error
	changes []store.ChangeEvent
	toil    []store.ToilEntry
}

func (j *fakeJournal) AddChanges(ctx context.Context, events []store.ChangeEvent) (int, error) {
	if j.err != nil {
		return 0, j.err
	}
	j.changes = append(j.changes, events...)
	return len(events), nil
}

func (j *fakeJournal) Changes(ctx context.Context, service string, from, to time.Time) ([]store.ChangeEvent, error) {
	return j.changes, j.err
}

func (j *fakeJournal) AddToil(ctx context.Context, e store.ToilEntry) (int64, error) {
	if j.err != nil {
		return 0, j.err
	}
	j.toil = append(j.toil, e)
	return int64(len(j.toil)), nil
}

// fakeServer is a server over fakes, as of now, with its log.
func fakeServer(t *testing.T, opts Options) (*Server, *itest.SyncBuffer, time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	log := &itest.SyncBuffer{}
	opts.Listen, opts.Log = "127.0.0.1:0", slog.New(slog.NewTextHandler(log, nil))
	opts.Now = func() time.Time { return now }
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.ln.Close() })
	return s, log, now
}

// TestFailuresInAPIAndPages: the API and the pages answer a failure with
// the same status; a 4xx says what was wrong, a 5xx says nothing of its
// cause, which is logged under the request id the answer gives.
func TestFailuresInAPIAndPages(t *testing.T) {
	const secret = "open /var/lib/headroom/data/cells.db: input/output error"
	for _, tc := range []struct {
		name    string
		engine  fakeEngine
		expired bool // the request's deadline has passed
		status  int
		code    string
		message string // in the answer
	}{
		{"not found", fakeEngine{err: fmt.Errorf("slo nope: %w", report.ErrNotFound)}, false, 404, "not_found", "slo nope: not found"},
		{"bad request", fakeEngine{err: fmt.Errorf("by colour: %w", report.ErrBadRequest)}, false, 400, "bad_request", "by colour: bad request"},
		{"internal", fakeEngine{err: errors.New(secret)}, false, 500, "internal", "internal error (request id "},
		{"store error past the deadline", fakeEngine{err: errors.New(secret), block: true}, true, 503, "timeout", msgTimeout},
		{"deadline exceeded", fakeEngine{err: fmt.Errorf("%s: %w", secret, context.DeadlineExceeded), block: true}, true, 503, "timeout", msgTimeout},
	} {
		s, log, _ := fakeServer(t, Options{Engine: tc.engine})
		for _, route := range []struct {
			kind string
			h    http.Handler
		}{
			{"api", s.api(s.apiSLOs)},
			{"page", s.page(s.pageOverview)},
		} {
			t.Run(tc.name+"/"+route.kind, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				if tc.expired {
					ctx, cancel := context.WithDeadline(req.Context(), time.Now().Add(-time.Second))
					defer cancel()
					req = req.WithContext(ctx)
				}
				rec := httptest.NewRecorder()
				route.h.ServeHTTP(rec, req)
				body := rec.Body.String()
				if rec.Code != tc.status {
					t.Errorf("status %d, want %d: %s", rec.Code, tc.status, body)
				}
				if route.kind == "api" {
					var e apiError
					if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
						t.Fatalf("%v: %s", err, body)
					}
					if e.Error.Status != tc.status || e.Error.Code != tc.code || !strings.HasPrefix(e.Error.Message, tc.message) {
						t.Errorf("error %+v, want %d %s %q", e.Error, tc.status, tc.code, tc.message)
					}
				} else if !strings.Contains(body, tc.message) || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
					t.Errorf("the error page lacks %q: %s", tc.message, body)
				}
				if strings.Contains(body, "cells.db") || strings.Contains(body, "input/output") {
					t.Errorf("the answer tells the internal error: %s", body)
				}
				if tc.status >= 500 {
					ids := regexp.MustCompile(`request_id=(\w+)`).FindAllStringSubmatch(log.String(), -1)
					if ids == nil || !strings.Contains(log.String(), "cells.db") {
						t.Fatalf("the error is not logged with a request id: %s", log)
					}
					if id := ids[len(ids)-1][1]; tc.status == 500 && !strings.Contains(body, id) {
						t.Errorf("the answer lacks the request id %s: %s", id, body)
					}
				}
			})
		}
	}
}

// TestWrites: change events and toil are decoded from their request types,
// checked by the review's rules, and refused with a 4xx that says why, or
// a 5xx that does not.
func TestWrites(t *testing.T) {
	for _, tc := range []struct {
		name        string
		path, body  string
		form        bool // the dashboard's form, not JSON
		remote      string
		journalErr  error
		status      int
		inAnswer    string
		wantChanges []store.ChangeEvent
		wantToil    []store.ToilEntry
	}{
		{name: "event with defaults", path: "/api/v1/events", body: `{"service": "web", "version": "v1"}`, status: 201, inAnswer: `"kind":"deploy"`,
			wantChanges: []store.ChangeEvent{{Service: "web", Kind: "deploy", Version: "v1", At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}}},
		{name: "event of an unknown service", path: "/api/v1/events", body: `{"service": "api"}`, status: 400, inAnswer: `service \"api\": want a configured service`},
		{name: "event with an id", path: "/api/v1/events", body: `{"service": "web", "id": 3}`, status: 400, inAnswer: `unknown field \"id\"`},
		{name: "event not stored", path: "/api/v1/events", body: `{"service": "web"}`, journalErr: errors.New("disk full"), status: 500, inAnswer: "internal error"},
		{name: "event from afar", path: "/api/v1/events", body: `{"service": "web"}`, remote: "192.0.2.1:4000", status: 403, inAnswer: "writes need server.auth"},
		{name: "toil with defaults", path: "/api/v1/toil", body: `{"minutes": 30, "tag": "db-restart"}`, status: 201, inAnswer: `"category":"interrupt"`,
			wantToil: []store.ToilEntry{{Minutes: 30, Category: "interrupt", Tag: "db-restart", At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}}},
		{name: "toil from the form", path: "/api/v1/toil", body: "minutes=15&category=manual&tag=cert", form: true, status: 303,
			wantToil: []store.ToilEntry{{Minutes: 15, Category: "manual", Tag: "cert", At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}}},
		{name: "toil form without minutes", path: "/api/v1/toil", body: "minutes=soon", form: true, status: 400, inAnswer: `minutes=\"soon\": want a number of minutes`},
		{name: "toil too long", path: "/api/v1/toil", body: `{"minutes": 2000}`, status: 400, inAnswer: "minutes 2000: want 1 to 1440"},
		{name: "toil of an unknown service", path: "/api/v1/toil", body: `{"minutes": 5, "service": "api"}`, status: 400, inAnswer: `service: unknown service \"api\" (configured: web)`},
		{name: "toil of next to nothing", path: "/api/v1/toil", body: `{"minutes": 1e-300}`, status: 400, inAnswer: "minutes 1e-300: want 1 to 1440"},
		{name: "toil form of NaN minutes", path: "/api/v1/toil", body: "minutes=NaN", form: true, status: 400, inAnswer: `minutes=\"NaN\": want a number of minutes`},
		{name: "toil form of infinite minutes", path: "/api/v1/toil", body: "minutes=-Inf", form: true, status: 400, inAnswer: `minutes=\"-Inf\": want a number of minutes`},
		{name: "toil in year 9999", path: "/api/v1/toil", body: `{"minutes": 5, "at": "9999-12-31T23:59:59Z"}`, status: 400,
			inAnswer: `at=\"9999-12-31T23:59:59Z\": want a time from 1970-01-01 to 2200-01-01`},
		{name: "event in year 0", path: "/api/v1/events", body: `{"service": "web", "at": "0000-01-01T00:00:00Z"}`, status: 400,
			inAnswer: `at=\"0000-01-01T00:00:00Z\": want a time from 1970-01-01 to 2200-01-01`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &fakeJournal{err: tc.journalErr}
			s, _, _ := fakeServer(t, Options{Engine: fakeEngine{}, Journal: j})
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
			req.RemoteAddr, req.Host = "127.0.0.1:4000", "127.0.0.1:8080"
			if tc.form {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.inAnswer) {
				t.Errorf("POST %s %s = %d %s, want %d with %s", tc.path, tc.body, rec.Code, rec.Body, tc.status, tc.inAnswer)
			}
			if tc.status == 303 && rec.Header().Get("Location") != "/review" {
				t.Errorf("redirected to %q, want /review", rec.Header().Get("Location"))
			}
			if strings.Contains(rec.Body.String(), "disk full") {
				t.Errorf("the answer tells the internal error: %s", rec.Body)
			}
			if d := cmp.Diff(tc.wantChanges, j.changes); d != "" {
				t.Errorf("changes stored (-want +got):\n%s", d)
			}
			for i := range j.toil {
				j.toil[i].ID = 0
			}
			if d := cmp.Diff(tc.wantToil, j.toil); d != "" {
				t.Errorf("toil stored (-want +got):\n%s", d)
			}
		})
	}
}

// TestUnencodableAnswer: an answer that cannot be written as JSON (a NaN, a
// time past year 9999) is a 500 in the error shape, logged with its request
// id; never a 200 with an empty body.
func TestUnencodableAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"NaN", map[string]float64{"sli": math.NaN()}},
		{"infinity", []float64{math.Inf(1)}},
		{"year 10000", map[string]time.Time{"window_end": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"created", created{map[string]float64{"minutes": math.NaN()}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, log, _ := fakeServer(t, Options{})
			rec := httptest.NewRecorder()
			s.api(func(*http.Request) (any, error) { return tc.v, nil }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != 500 || e.Error.Code != "internal" {
				t.Fatalf("answer %d %q, want 500 in the error shape", rec.Code, rec.Body)
			}
			id := regexp.MustCompile(`request id (\w+)`).FindStringSubmatch(e.Error.Message)
			if id == nil || !strings.Contains(log.String(), "request_id="+id[1]) || !strings.Contains(log.String(), "encode the answer") {
				t.Errorf("the failure is not logged under the answer's request id: %q\n%s", e.Error.Message, log)
			}
		})
	}
}
