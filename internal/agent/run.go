package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/export"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/rungroup"
	"github.com/headroom-slo/headroom/internal/store"
	"github.com/headroom-slo/headroom/internal/tail"
)

// Options configure Run.
type Options struct {
	Log *slog.Logger
	// Interval is how often the logs are polled (default
	// DefaultPollInterval).
	Interval time.Duration
	// PushInterval is the least time between two pushes to a server while
	// it keeps up (default DefaultPushInterval).
	PushInterval time.Duration
	// Ready, when set, is called with the address agent.listen was bound
	// to ("" without one) once the agent runs.
	Ready func(addr string)
	// ExportTick is how often the exporter looks for a closed minute
	// (default 5s); ExportBackoff the least wait before retrying a failing
	// export target (default 1s).
	ExportTick, ExportBackoff time.Duration
	// ExportNow is the exporter's clock (time.Now), in tests.
	ExportNow func() time.Time
}

// DefaultPollInterval is how often an agent polls its logs by default:
// once a push (DefaultPushInterval), not 4 times a second as serve does
// (tail.DefaultInterval, for a live dashboard), since its cells leave at
// most that often anyway. Each poll that reads lines is a commit: on the
// agent, a spool row and an fsync; on every server, a commit of the push
// to decode and store. At 2,000 lines a second, polling 4 times a second
// cost the agent a third more CPU, and a commit a second (10 a push) cost a
// server taking 200 agents 2.5 times the CPU of one a push
// (docs/performance.md, Fleet).
const DefaultPollInterval = DefaultPushInterval

// Run runs the agent of cfg until ctx ends: it takes the store's lock,
// tails the services' logs into the spool and pushes it to every server.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var targets []Target
	for i, t := range cfg.Agent.Push {
		token := os.Getenv(t.TokenEnv)
		if token == "" {
			return fmt.Errorf("agent.push[%d].token_env: environment variable %s is unset or empty", i, t.TokenEnv)
		}
		targets = append(targets, Target{URL: t.URL, Token: token})
	}
	name, err := Name(cfg)
	if err != nil {
		return err
	}
	if len(targets) == 0 && len(cfg.Export.RemoteWrite) == 0 && cfg.Export.Datadog == nil {
		return errNoTargets
	}
	lock, err := store.Lock(cfg.Storage.Dir, "headroom agent")
	if err != nil {
		return err
	}
	defer lock.Release()
	// The export queues live in the locked directory: opened after the lock.
	exports, err := export.Targets(cfg, cfg.Storage.Dir, log)
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.Storage.Dir, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	inst, err := Instance(ctx, st)
	if err != nil {
		return err
	}
	spool := NewSpool(st, int64(cfg.Agent.Spool.MaxBytes), log)
	// A log listed under several services is one source, read once.
	sources, err := ingest.NewSources(ctx, cfg, st, 0)
	if err != nil {
		return err
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	f := tail.New(spool, sources, tail.Options{Log: log, Interval: interval})
	state := func(ctx context.Context) push.State { return agentState(ctx, st, f) }
	pushers, err := NewPushers(ctx, st, spool, name, inst, targets, opts.PushInterval, state, log)
	if err != nil {
		return err
	}
	g := rungroup.Group{Log: log}
	g.Add("tail", f.Run)
	if len(targets) > 0 {
		g.Add("push", pushers.Run)
	}
	var x *exporter
	if len(exports) > 0 {
		x, err = newExporter(ctx, cfg, st, name, exports, exportOptions{Log: log, Now: opts.ExportNow, Tick: opts.ExportTick, Trim: pushers.trim,
			Send: export.SendOptions{BackoffMin: opts.ExportBackoff}})
		if err != nil {
			return err
		}
		pushers.others = append(pushers.others, x.cursor)
		g.Add("export", x.Run)
	}
	addr := ""
	if cfg.Agent.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Agent.Listen)
		if err != nil {
			return fmt.Errorf("agent.listen: %w", err)
		}
		addr = ln.Addr().String()
		srv := &http.Server{Handler: handler(name, st, f, pushers, x), ReadHeaderTimeout: 5 * time.Second}
		g.Add("http", func(ctx context.Context) error {
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				srv.Shutdown(sctx)
			}()
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	log.Info("agent running", "name", name, "servers", len(targets), "exports", len(exports), "logs", len(sources), "listen", addr)
	if opts.Ready != nil {
		opts.Ready(addr)
	}
	return g.Run(ctx)
}

// agentState is what a push tells a server of the agent.
func agentState(ctx context.Context, st *store.Store, f *tail.Follower) push.State {
	var s push.State
	if all, err := st.Sources(ctx); err == nil {
		for _, src := range all {
			s.Lines += src.Lines
			s.Malformed += src.Malformed
			s.Excluded += src.Excluded
			s.Unmatched += src.Unmatched
			s.LastEvent = max(s.LastEvent, src.LastTS)
		}
	}
	for _, t := range f.States() {
		if b := t.Broken(); b != "" {
			s.Broken = append(s.Broken, t.Log+": "+b)
		}
	}
	return s
}

// Health is the agent's /healthz.
type Health struct {
	Status  string        `json:"status"` // ok, or degraded while a server is failing or a log is broken
	Name    string        `json:"name"`
	Servers []TargetState `json:"servers"`
	Logs    []tail.State  `json:"logs"`
	// Export is the live export's state, when the agent exports.
	Export *exportStatus `json:"export,omitempty"`
}

func handler(name string, st *store.Store, f *tail.Follower, p *Pushers, x *exporter) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := Health{Status: "ok", Name: name, Servers: p.States(r.Context()), Logs: f.States()}
		for _, t := range h.Servers {
			if t.LastError != "" {
				h.Status = "degraded"
			}
		}
		if x != nil {
			es := x.status()
			h.Export = &es
			if es.LastError != "" {
				h.Status = "degraded"
			}
			for _, t := range es.Targets {
				if t.LastError != "" {
					h.Status = "degraded"
				}
			}
		}
		for _, l := range h.Logs {
			if l.Broken() != "" {
				h.Status = "degraded"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if h.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(h)
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{st: st, f: f, p: p, x: x})
	if x != nil {
		reg.MustRegister(export.Collector(x.targets))
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

var (
	descSpoolBytes   = prometheus.NewDesc("headroom_agent_spool_bytes", "Bytes of commits in the spool that the server does not have yet.", []string{"server"}, nil)
	descSpoolCommits = prometheus.NewDesc("headroom_agent_spool_commits", "Commits in the spool that the server does not have yet.", []string{"server"}, nil)
	descLag          = prometheus.NewDesc("headroom_agent_push_lag_seconds", "Age of the oldest commit the server does not have yet (0 when it has every one).", []string{"server"}, nil)
	descPushes       = prometheus.NewDesc("headroom_agent_pushes_total", "Pushes by result: ok, failed (retried with backoff).", []string{"server", "result"}, nil)
	descRejected     = prometheus.NewDesc("headroom_agent_rejected_commits_total", "Commits the server refused as bad (400, 413): dropped for it, logged.", []string{"server"}, nil)
	descDropped      = prometheus.NewDesc("headroom_agent_spool_dropped_commits_total", "Commits the spool's bound (agent.spool.max_bytes) dropped before every server had them.", nil, nil)
	descLines        = prometheus.NewDesc("headroom_agent_lines_total", "Log lines read, by service and configured log.", []string{"service", "log"}, nil)
	descMalformed    = prometheus.NewDesc("headroom_agent_malformed_lines_total", "Log lines that could not be parsed, by service and configured log.", []string{"service", "log"}, nil)
	descUnmatched    = prometheus.NewDesc("headroom_agent_unmatched_lines_total", "Log lines no service's match took, by service and configured log.", []string{"service", "log"}, nil)
	descExportMinute = prometheus.NewDesc("headroom_agent_export_minute_timestamp_seconds", "The minute boundary the exported totals are stored at (Unix seconds).", nil, nil)
	descExportLost   = prometheus.NewDesc("headroom_agent_export_lost_commits_total", "Spool commits the spool's bound (agent.spool.max_bytes) dropped before the exporter counted them, or that could not be read (since the start): their lines are missing from the exported totals; logged.", nil, nil)
	descExportFail   = prometheus.NewDesc("headroom_agent_export_failing", "1 while counting the spool for export fails (retried every tick from the stored totals; logged).", nil, nil)
)

type collector struct {
	st *store.Store
	f  *tail.Follower
	p  *Pushers
	x  *exporter // nil: the agent does not export
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSpoolBytes, descSpoolCommits, descLag, descPushes, descRejected, descDropped, descLines, descMalformed, descUnmatched} {
		ch <- d
	}
	if c.x != nil {
		ch <- descExportMinute
		ch <- descExportLost
		ch <- descExportFail
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx := context.Background()
	if c.x != nil {
		s := c.x.status()
		ch <- prometheus.MustNewConstMetric(descExportMinute, prometheus.GaugeValue, float64(s.Minute.Unix()))
		ch <- prometheus.MustNewConstMetric(descExportLost, prometheus.CounterValue, float64(s.Lost))
		failing := 0.0
		if s.LastError != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(descExportFail, prometheus.GaugeValue, failing)
	}
	for _, t := range c.p.States(ctx) {
		ch <- prometheus.MustNewConstMetric(descSpoolBytes, prometheus.GaugeValue, float64(t.BehindB), t.URL)
		ch <- prometheus.MustNewConstMetric(descSpoolCommits, prometheus.GaugeValue, float64(t.Behind), t.URL)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, t.Lag, t.URL)
		ch <- prometheus.MustNewConstMetric(descPushes, prometheus.CounterValue, float64(t.OK), t.URL, "ok")
		ch <- prometheus.MustNewConstMetric(descPushes, prometheus.CounterValue, float64(t.Failed), t.URL, "failed")
		ch <- prometheus.MustNewConstMetric(descRejected, prometheus.CounterValue, float64(t.Rejected), t.URL)
	}
	if sp, err := c.st.Spool(ctx, 0); err == nil {
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(sp.Dropped))
	}
	if all, err := c.st.Sources(ctx); err == nil {
		// By log, labelled with the services reading it now (the rows of
		// a log read before a service was added to it name fewer).
		label := map[string]string{}
		for _, t := range c.f.States() {
			label[t.Log] = t.Service
		}
		type key struct{ svc, log string }
		type counts struct{ lines, malformed, unmatched int64 }
		by := map[key]*counts{}
		for _, s := range all {
			k := key{s.Service, s.Log}
			if l, ok := label[s.Log]; ok {
				k.svc = l
			}
			n := by[k]
			if n == nil {
				n = &counts{}
				by[k] = n
			}
			n.lines += s.Lines
			n.malformed += s.Malformed
			n.unmatched += s.Unmatched
		}
		for k, n := range by {
			ch <- prometheus.MustNewConstMetric(descLines, prometheus.CounterValue, float64(n.lines), k.svc, k.log)
			ch <- prometheus.MustNewConstMetric(descMalformed, prometheus.CounterValue, float64(n.malformed), k.svc, k.log)
			ch <- prometheus.MustNewConstMetric(descUnmatched, prometheus.CounterValue, float64(n.unmatched), k.svc, k.log)
		}
	}
}
