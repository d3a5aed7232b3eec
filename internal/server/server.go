// Package server is headroom's HTTP side: the dashboard (server-rendered
// pages with charts drawn by uPlot), the JSON API under /api/v1/, /metrics
// for Prometheus and /healthz.
//
// It is safe by default: it binds what it is told (127.0.0.1 unless
// configured), can require a bearer token or basic auth on everything but
// /healthz, takes writes only from where they are allowed (origin.go),
// sends a Content-Security-Policy that allows only its own assets (no
// inline scripts or styles), bounds every request in time and the
// connections it keeps open (conns.go).
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/rum"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/tail"
)

// health is what /healthz shows of the process.
type health struct {
	Sources    []tail.State `json:"sources"`
	StoreBytes int64        `json:"store_bytes"`
}

// MaxBytesBehind is how many bytes of a log may wait unread before
// /healthz says degraded. Polled every 250 ms, a log that keeps up has
// little more than a partial line waiting.
const MaxBytesBehind = 16 << 20

// problems say why the process is degraded: a log it cannot read or commit
// (tail.State.Broken: its last poll failed, or no file matches it), or one
// more than MaxBytesBehind behind; none when it is healthy.
func (h health) problems() []string {
	var out []string
	for _, st := range h.Sources {
		if why := st.Broken(); why != "" {
			out = append(out, fmt.Sprintf("log %s (service %s): %s", st.Log, st.Service, why))
		}
		if st.Behind > MaxBytesBehind {
			out = append(out, fmt.Sprintf("log %s (service %s): %.1f MiB behind, more than %d MiB",
				st.Log, st.Service, float64(st.Behind)/(1<<20), MaxBytesBehind>>20))
		}
	}
	return out
}

// Auth is what a request must carry, besides to /healthz. Empty: nothing.
type Auth struct {
	BearerToken string // Authorization: Bearer <token>
	Username    string // basic auth, with Password
	Password    string
}

func (a Auth) enabled() bool { return a.BearerToken != "" || a.Username != "" }

// Engine answers the dashboard's and the API's questions about SLOs and
// services (a *report.Engine).
type Engine interface {
	Config() *config.Config
	ServiceNames() []string
	Spec(name string) (*sli.Spec, error)
	SLOs(ctx context.Context, at time.Time, service string) ([]report.SLO, error)
	SLO(ctx context.Context, name string, at time.Time) (*report.SLO, error)
	Series(ctx context.Context, name string, from, to time.Time, step time.Duration) (*report.Series, error)
	Breakdown(ctx context.Context, name string, from, to time.Time, by string, limit int) (*report.Breakdown, error)
	Service(ctx context.Context, name string, from, to time.Time, step time.Duration, topN int) (*report.Service, error)
	Vitals(ctx context.Context, service string, from, to time.Time) ([]report.PageVitals, error)
	// Counts are an SLO's events in [from, to), for /metrics.
	Counts(ctx context.Context, name string, from, to time.Time) (slo.Counts, error)
	// Agents are the agents that push to this server.
	Agents(ctx context.Context, now time.Time) ([]report.Agent, error)
}

// Journal records change events and toil (a *store.Store).
type Journal interface {
	AddChanges(ctx context.Context, events []store.ChangeEvent) (int, error)
	Changes(ctx context.Context, service string, from, to time.Time) ([]store.ChangeEvent, error)
	AddToil(ctx context.Context, e store.ToilEntry) (int64, error)
}

// Reviews computes the sprint review and the error budget policy (over the
// engine and the store, with review.Build and review.Policy).
type Reviews interface {
	Review(ctx context.Context, sp review.Sprint, service string, now time.Time) (*review.Review, error)
	Policy(ctx context.Context, service string, at time.Time) (*review.PolicyReport, error)
}

// Beacons takes browser beacons (a *rum.Collector).
type Beacons interface {
	// Accept counts a beacon, or refuses it with a *rum.Rejection.
	Accept(body []byte, origin, client string) error
	Stats() rum.Stats
}

// Options configure a Server.
type Options struct {
	Listen string
	// ExternalURL is where people reach the dashboard (server.external_url):
	// writes are taken under its host name, and forms from its origin.
	ExternalURL string
	// MaxConns bounds the connections kept open (default
	// DefaultMaxConns), MaxIdleConns those of them idle between requests
	// (default DefaultMaxIdleConns).
	MaxConns, MaxIdleConns int
	Log                    *slog.Logger
	// Engine answers the dashboard's and the API's questions; without one
	// only /healthz is served.
	Engine Engine
	// Sources reports each configured log's state, for /healthz and
	// /metrics.
	Sources SourcesFunc
	// StoreSize reports the store's size in bytes, for /healthz and
	// /metrics.
	StoreSize func() int64
	Auth      Auth
	// Timeout bounds every request (default 10 s).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Refresh is how often pages refresh their numbers and charts (default
	// 3 s; negative: never).
	Refresh time.Duration
	// Alerts gives the alert states and history (nil: none).
	Alerts AlertsFunc
	// Journal holds change events and toil (nil: the events and toil
	// endpoints are off).
	Journal Journal
	// Reviews gives the review and the policy (nil: the review page and the
	// policy endpoint are off).
	Reviews Reviews
	// RUM takes browser beacons at POST /api/v1/rum (nil: no frontend
	// apps).
	RUM Beacons
	// Push, when set, takes agents' pushes at POST /api/v1/push.
	Push *Push
	// Capacity gives the services' capacity reports (nil: no capacity
	// section or endpoint).
	Capacity CapacityReports
	// Pinned, when set, is the instant everything is shown as of (a sample's
	// end, say) instead of now; pages then do not refresh.
	Pinned time.Time
}

// Server serves HTTP until its context ends.
type Server struct {
	opts    Options
	srv     *http.Server
	ln      net.Listener
	conns   *connLimit
	guard   writeGuard
	origins rumOrigins
	pages   *pages
	metrics *metrics
	rumJS   *rumScript
	// pushes holds a slot for each push being read or stored
	// (maxPushes); the others wait for one.
	pushes chan struct{}
}

// New binds the listen address (so a busy port fails at start-up).
func New(opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if !opts.Pinned.IsZero() {
		pinned := opts.Pinned
		opts.Now = func() time.Time { return pinned }
		opts.Refresh = -1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Refresh == 0 {
		opts.Refresh = 3 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.MaxIdleConns <= 0 {
		opts.MaxIdleConns = DefaultMaxIdleConns
	}
	s := &Server{opts: opts, guard: newWriteGuard(opts), origins: newRUMOrigins(opts), pushes: make(chan struct{}, maxPushes)}
	var err error
	if s.pages, err = newPages(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(opts)
	if s.rumJS, err = newRumScript(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, err
	}
	s.conns = newConnLimit(ln, opts.MaxConns, opts.MaxIdleConns)
	s.ln = s.conns
	s.metrics.connections(s.conns)
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      opts.Timeout + 5*time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		ConnState:         s.conns.track,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the server's routes with their middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, s.metrics.instrument(pattern, s.auth(h)))
	}
	api := func(pattern string, f apiFunc) { handle(pattern, s.api(f)) }
	page := func(pattern string, f pageFunc) { handle(pattern, s.page(f)) }
	mux.Handle("GET /healthz", s.metrics.instrument("GET /healthz", http.HandlerFunc(s.healthz)))
	handle("GET /metrics", s.metrics.handler())
	handle("GET /assets/", assetHandler())
	mux.Handle("GET /assets/review.css", s.metrics.instrument("GET /assets/", s.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		io.WriteString(w, review.CSS)
	}))))
	if s.opts.Engine != nil {
		api("GET /api/v1/slos", s.apiSLOs)
		api("GET /api/v1/slos/{name}", s.apiSLO)
		api("GET /api/v1/slos/{name}/series", s.apiSeries)
		api("GET /api/v1/slos/{name}/breakdown", s.apiBreakdown)
		api("GET /api/v1/services", s.apiServices)
		api("GET /api/v1/services/{name}", s.apiService)
		api("GET /api/v1/alerts", s.apiAlerts)
		api("GET /api/v1/services/{name}/vitals", s.apiVitals)
		api("GET /api/v1/agents", s.apiAgents)
		if s.opts.Capacity != nil {
			api("GET /api/v1/services/{name}/capacity", s.apiCapacity)
		}
		if s.opts.Journal != nil {
			api("POST /api/v1/events", s.apiAddEvent)
			api("GET /api/v1/events", s.apiEvents)
			api("POST /api/v1/toil", s.apiAddToil)
		}
		if s.opts.Reviews != nil {
			api("GET /api/v1/policy", s.apiPolicy)
			page("GET /review", s.pageReview)
		}
		api("GET /api/", func(r *http.Request) (any, error) {
			return nil, notFound("no such endpoint: %s", r.URL.Path)
		})
		page("GET /alerts", s.pageAlerts)
		page("GET /{$}", s.pageOverview)
		page("GET /slo/{name}", s.pageSLO)
		page("GET /service/{name}", s.pageService)
	}
	handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.pageError(w, r, notFound("no page at %s", r.URL.Path))
	}))
	bounded := securityHeaders(s.timeout(mux))
	// Beacons and rum.js come from browsers on other origins, without
	// credentials, many a second: no auth, and no TimeoutHandler (its
	// goroutine and buffer per request cost more than the handler, which
	// reads at most 64 KiB and answers at once; the server's read timeout
	// bounds it).
	beacons := http.NewServeMux()
	beacons.Handle("GET /rum.js", s.metrics.instrument("GET /rum.js", http.HandlerFunc(s.serveRumJS)))
	if s.opts.RUM != nil {
		beacons.Handle("/api/v1/rum", s.metrics.instrument("POST /api/v1/rum", s.rumRoute()))
	}
	// Agents' pushes carry their own token and can be large: no dashboard
	// auth, no origin rules, their own time limit (pushRoute).
	var pushes http.Handler
	if s.opts.Push != nil {
		pushes = s.metrics.instrument("POST "+push.Path, s.pushRoute())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == push.Path && pushes != nil {
			pushes.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/rum.js" || r.URL.Path == "/api/v1/rum" && s.opts.RUM != nil {
			beacons.ServeHTTP(w, r)
			return
		}
		bounded.ServeHTTP(w, r)
	})
}

// timeout bounds each request: its context ends after the timeout, and
// http.TimeoutHandler answers 503 if the handler has not answered by then.
func (s *Server) timeout(h http.Handler) http.Handler {
	return http.TimeoutHandler(h, s.opts.Timeout, timeoutBody)
}

// csp allows only headroom's own scripts, styles and data; no inline code.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// auth requires the configured credentials.
func (s *Server) auth(h http.Handler) http.Handler {
	a := s.opts.Auth
	if !a.enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.BearerToken != "" {
			if token, ok := bearerToken(r); ok && subtle.ConstantTimeCompare([]byte(token), []byte(a.BearerToken)) == 1 {
				h.ServeHTTP(w, r)
				return
			}
		}
		if a.Username != "" { // r.BasicAuth reads the scheme in any case
			if u, p, ok := r.BasicAuth(); ok &&
				subtle.ConstantTimeCompare([]byte(u), []byte(a.Username)) == 1 &&
				subtle.ConstantTimeCompare([]byte(p), []byte(a.Password)) == 1 {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="headroom", charset="UTF-8"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="headroom"`)
		}
		s.apiError(w, r, clientErrorf(errUnauthorized, "credentials required"))
	})
}

// bearerToken is the token of an Authorization: Bearer header. The scheme
// is case-insensitive (RFC 7235: "bearer", "BEARER"), and spaces may
// follow it.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimLeft(token, " ")
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// Addr returns the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// healthz is /healthz, never behind auth: 200 "ok"; 503 "degraded" with
// the reasons when a log cannot be read or committed or is far behind; 503
// "unhealthy" with the error when the logs' states cannot be told (the
// store cannot be read).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	h := health{Sources: []tail.State{}}
	if s.opts.StoreSize != nil {
		h.StoreBytes = s.opts.StoreSize()
	}
	var err error
	if s.opts.Sources != nil {
		if h.Sources, err = s.opts.Sources(r.Context()); h.Sources == nil {
			h.Sources = []tail.State{}
		}
	}
	body := map[string]any{"status": "ok", "details": h}
	code := http.StatusOK
	if reasons := h.problems(); len(reasons) > 0 {
		code = http.StatusServiceUnavailable
		body["status"] = "degraded"
		body["reasons"] = reasons
	}
	if err != nil {
		code = http.StatusServiceUnavailable
		body["status"] = "unhealthy"
		body["error"] = err.Error()
	}
	s.writeJSON(w, r, code, body)
}
