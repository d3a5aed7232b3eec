package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/capacity"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/export"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/notify"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/rum"
	"github.com/headroom-slo/headroom/internal/rungroup"
	"github.com/headroom-slo/headroom/internal/server"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/tail"
)

// PollInterval is how often `serve` looks for new log lines; every poll that
// reads lines commits them, so data is durable within about this long.
const PollInterval = tail.DefaultInterval

// serveCmd is `headroom serve`.
type serveCmd struct {
	config, listen string
	verbose        bool
	at             instant
}

func (c *serveCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.listen, "listen", "", "serve HTTP on `ADDR` (default server.listen, "+config.DefaultListen+")")
	fs.BoolVar(&c.verbose, "v", false, "log debug messages")
	fs.Var(&c.at, "at", "show the dashboard as of `TIME` (RFC 3339), such as a sample's end, and send no alerts; default now, live")
}

func (c *serveCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	pinned := c.at.t
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if c.listen != "" {
		cfg.Server.Listen = c.listen
	}
	log := logger(stdio.Err, c.verbose)
	// One serve per store: a second would tail, evaluate and notify
	// everything twice. import, status and the others do not lock.
	lock, err := store.Lock(cfg.Storage.Dir, "headroom serve")
	if err != nil {
		return err
	}
	defer lock.Release() // last: after the store is closed
	p, err := openPipeline(ctx, cfg)
	if err != nil {
		return err
	}
	defer p.st.Close() // after every part of the group has returned
	// A log that is not there yet is not an error: it may appear later (a
	// new host, a first request); the tailer picks it up then.
	missing, err := missingLogs(cfg)
	if err != nil {
		return err
	}
	for _, m := range missing {
		log.Warn("waiting for a log file to appear", "log", m)
	}
	f := tail.New(p.st, p.sources, tail.Options{Log: log, Interval: PollInterval})
	eng, err := report.New(cfg, p.st)
	if err != nil {
		return err
	}
	auth, err := serverAuth(cfg.Server.Auth)
	if err != nil {
		return err
	}
	targets, err := notifyTargets(cfg)
	if err != nil {
		return err
	}
	interval := alert.Interval(cfg)
	// The alert runner queues notifications in the store, with the alert
	// states that caused them; the dispatcher delivers them from there, so
	// a restart delivers what was pending.
	disp, err := notify.NewDispatcher(targets, notify.Options{Queue: p.st, Log: storeLog{st: p.st, log: log}, Logger: log, ResendEvery: interval})
	if err != nil {
		return err
	}
	if err := disp.Load(ctx); err != nil {
		return err
	}
	history := alert.NewHistory(p.st, alert.HistoryOptions{Fresh: 2 * interval})
	eng.SetAlerts(history)
	capacities := capacity.NewCache(p.st, cfg, 0, nil) // the service pages and the review refresh
	opts := server.Options{
		Listen:      cfg.Server.Listen,
		ExternalURL: cfg.Server.ExternalURL,
		Log:         log,
		Engine:      eng,
		Sources: func(ctx context.Context) ([]tail.State, error) {
			return committedStates(ctx, p.st, p.sources, f.States())
		},
		StoreSize: p.st.Size,
		Auth:      auth,
		Pinned:    pinned,
		Journal:   p.st,
		Reviews:   reviews{cfg: cfg, eng: eng, st: p.st, cap: capacities},
		Alerts: func(ctx context.Context, at, from, to time.Time) (*server.AlertsData, error) {
			return alertsData(ctx, history, disp, at, from, to)
		},
		Capacity: capacities,
	}
	if pc := cfg.Server.Push; pc != nil {
		token := os.Getenv(pc.TokenEnv)
		if token == "" {
			return fmt.Errorf("server.push.token_env: environment variable %s is unset or empty", pc.TokenEnv)
		}
		opts.Push = &server.Push{Token: token, Store: p.st, Known: func(name string) bool { return cfg.Service(name) != nil }}
	}
	beacons := rum.New(cfg, p.st, log)
	if beacons.Apps() {
		opts.RUM = beacons // not a nil *rum.Collector in the interface
	}
	srv, err := server.New(opts)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	runner, err := alert.NewRunner(ctx, alert.RunnerOptions{
		Config: cfg, Measurer: eng, Store: p.st, Notifier: disp, Sources: sourceHealth(f, eng, log), ExternalURL: externalURL(cfg, srv.Addr()),
		Log: log, Interval: interval, Capacity: capacityAlerts(cfg, p.st),
	})
	if err != nil {
		return err
	}
	log.Info("serving", "addr", srv.Addr(), "config", cfg.Path, "data", cfg.Storage.Dir, "sources", len(p.sources))
	url := "http://" + srv.Addr() + "/"
	if !pinned.IsZero() {
		fmt.Fprintf(stdio.Err, "Dashboard: %s (as of %s)\n", url, pinned.Format(time.RFC3339))
	} else {
		fmt.Fprintf(stdio.Err, "Dashboard: %s\n", url)
	}

	// Every part runs in one group: a failing part stops the others, and
	// the store closes only after all of them have returned.
	g := rungroup.Group{Log: log}
	g.Add("http", srv.Serve)
	g.Add("tail", f.Run)
	if pinned.IsZero() { // history is looked at, never pruned
		g.Add("retention", func(ctx context.Context) error { p.pruneLoop(ctx, log); return nil })
		g.Add("rollup", func(ctx context.Context) error { rollLoop(ctx, p.st, log); return nil })
	}
	g.AddTask("cache warm-up", func(ctx context.Context) error {
		at := time.Now()
		if !pinned.IsZero() {
			at = pinned
		}
		if err := eng.Warm(ctx, at); err != nil && ctx.Err() == nil {
			log.Warn("warming the dashboard's cache", "err", err)
		}
		return nil // a cold cache is slower, not broken
	})
	if opts.RUM != nil {
		g.Add("rum", beacons.Run)
	}
	if pinned.IsZero() { // history has nothing to evaluate or send
		g.Add("alerts", runner.Run)
		g.Add("notify", disp.Run)
		if err := addExporter(&g, cfg, p.st, srv, log); err != nil {
			return err
		}
	}
	return g.Run(ctx)
}

// rollLoop rolls up the hours and days agents pushed to (store.Roll), now
// and every minute until ctx is done.
func rollLoop(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := st.Roll(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("rolling up agents' hours and days", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sourceHealth tells the alert runner, for no-data alerts, which logs the
// tailer cannot read.
func sourceHealth(f *tail.Follower, eng *report.Engine, log *slog.Logger) func() []alert.SourceHealth {
	return func() []alert.SourceHealth {
		var out []alert.SourceHealth
		for _, s := range f.States() {
			// A log read for several services leaves each without data:
			// one alert per service, routed as its own.
			for _, svc := range s.Services {
				out = append(out, alert.SourceHealth{Service: svc, Log: s.Log, Broken: s.Broken()})
			}
		}
		// An agent that stopped pushing is a source gone silent.
		agents, err := eng.Agents(context.Background(), time.Now())
		if err != nil {
			log.Warn("no-data alerts: read the agents", "err", err)
		}
		for _, a := range agents {
			h := alert.SourceHealth{Log: alert.AgentLog(a.Name)}
			if a.Silent {
				h.Broken = fmt.Sprintf("no push since %s", a.LastPush.Format(time.RFC3339))
			}
			out = append(out, h)
		}
		return out
	}
}

// committedStates are the tailer's states with each log's bytes behind
// counted as `status` counts them: every byte of its files past the offset
// committed to the store. (The tailer counts only the partial lines it
// read, so a log whose commits fail would show nothing behind.)
func committedStates(ctx context.Context, st *store.Store, sources []*ingest.Source, states []tail.State) ([]tail.State, error) {
	globs := map[string]ingest.Glob{}
	for _, s := range sources {
		globs[s.Log] = s.Glob()
	}
	for i, s := range states {
		g, ok := globs[s.Log]
		if !ok {
			g = ingest.Glob{Pattern: s.Log}
		}
		paths, _ := g.Expand()
		behind, err := unreadBytes(ctx, st, g, paths)
		if err != nil {
			return states, err
		}
		states[i].Behind = behind
	}
	return states, nil
}

// The server's backends are the engine, the store and the beacon collector.
var (
	_ server.Engine  = (*report.Engine)(nil)
	_ server.Journal = (*store.Store)(nil)
	_ server.Beacons = (*rum.Collector)(nil)
	_ server.Reviews = reviews{}
)

// reviews computes the review and the policy over an engine and a store,
// for the server and for `headroom review`.
type reviews struct {
	cfg *config.Config
	eng *report.Engine
	st  *store.Store
	cap *capacity.Cache
}

func (r reviews) Review(ctx context.Context, sp review.Sprint, service string, now time.Time) (*review.Review, error) {
	in := review.Inputs{Config: r.cfg, Engine: r.eng, Store: r.st, Sprints: review.NewSprints(r.cfg)}
	if r.cap != nil { // not a nil *Cache in the interface
		in.Capacity = r.cap
	}
	return review.Build(ctx, in, sp, service, now)
}

func (r reviews) Policy(ctx context.Context, service string, at time.Time) (*review.PolicyReport, error) {
	return review.Policy(ctx, r.cfg, r.eng, service, at)
}

// serverAuth reads the secrets server.auth names from the environment; a
// named variable that is unset or empty is an error, so a typo never leaves
// the dashboard open.
func serverAuth(c config.ServerAuth) (server.Auth, error) {
	var a server.Auth
	get := func(field, name string) (string, error) {
		v := os.Getenv(name)
		if v == "" {
			return "", fmt.Errorf("server.auth.%s: environment variable %s is unset or empty", field, name)
		}
		return v, nil
	}
	var err error
	if c.BearerTokenEnv != "" {
		if a.BearerToken, err = get("bearer_token_env", c.BearerTokenEnv); err != nil {
			return a, err
		}
	}
	if c.Username != "" {
		a.Username = c.Username
		if a.Password, err = get("password_env", c.PasswordEnv); err != nil {
			return a, err
		}
	}
	return a, nil
}

// addExporter adds to g the exporter of cfg's export section, when it has
// targets: remote write and Datadog, queued under the store's directory,
// their counts on srv's /metrics.
func addExporter(g *rungroup.Group, cfg *config.Config, st *store.Store, srv *server.Server, log *slog.Logger) error {
	targets, err := export.Targets(cfg, cfg.Storage.Dir, log)
	if err != nil || len(targets) == 0 {
		return err
	}
	if err := srv.Register(export.Collector(targets)); err != nil {
		return err
	}
	// serve counts its totals anew at each start: Datadog's deltas go on
	// from the last run's (docs/export.md).
	export.KeepBaselines(targets, log)
	x := export.NewExporter(cfg, st, targets, export.ExporterOptions{Log: log})
	g.Add("export", x.Run)
	return nil
}
