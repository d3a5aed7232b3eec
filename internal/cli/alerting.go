package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/notify"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/server"
	"github.com/headroom-slo/headroom/internal/store"
)

// notifyTargets turns the config's notify entries into targets, reading
// their secrets from the environment; a named variable that is unset or
// empty is an error.
func notifyTargets(cfg *config.Config) ([]notify.Target, error) {
	var out []notify.Target
	for i, n := range cfg.Notify {
		t := notify.Target{Name: n.Name, Type: n.Type, URL: n.URL, Severities: n.Severities, Services: n.Services}
		for field, env := range map[string]string{"url_env": n.URLEnv, "webhook_url_env": n.WebhookURLEnv} {
			if env == "" {
				continue
			}
			if t.URL = os.Getenv(env); t.URL == "" {
				return nil, fmt.Errorf("notify[%d] (%s).%s: environment variable %s is unset or empty", i, n.Name, field, env)
			}
		}
		if n.SecretEnv != "" {
			if t.Secret = os.Getenv(n.SecretEnv); t.Secret == "" {
				return nil, fmt.Errorf("notify[%d] (%s).secret_env: environment variable %s is unset or empty", i, n.Name, n.SecretEnv)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// storeLog records deliveries in the store (and logs those that failed).
type storeLog struct {
	st  *store.Store
	log *slog.Logger
}

func (l storeLog) Record(d notify.Delivery) {
	b, _ := json.Marshal(d)
	if err := l.st.RecordDelivery(context.Background(), d.At, b); err != nil {
		l.log.Warn("delivery log", "err", err)
	}
	if !d.OK {
		l.log.Warn("alert delivery failed", "target", d.Target, "alert", d.Fingerprint, "attempt", d.Attempt, "status", d.Status, "err", d.Error)
	}
}

// externalURL is where alerts link to: server.external_url, else the
// address served.
func externalURL(cfg *config.Config, addr string) string {
	if cfg.Server.ExternalURL != "" {
		return strings.TrimSuffix(cfg.Server.ExternalURL, "/")
	}
	return "http://" + addr
}

// alertStatesAt returns the alert states as of at: the runner's own when at
// is about now, else rebuilt from the stored history (each alert's last
// change before at).
func alertStatesAt(st *store.Store, r *alert.Runner, interval time.Duration) func(time.Time) []report.AlertState {
	return func(at time.Time) []report.AlertState {
		var states []alert.State
		if d := time.Since(at); d < 2*interval && d > -2*interval {
			states = r.States()
		} else {
			events, err := st.AlertEvents(context.Background(), time.Time{}, at.Add(time.Millisecond), 0)
			if err != nil {
				return nil
			}
			seen := map[string]bool{}
			for _, e := range events { // newest first
				if seen[e.Key] {
					continue
				}
				seen[e.Key] = true
				var t alert.Transition
				if json.Unmarshal(e.Data, &t) == nil {
					states = append(states, t.State)
				}
			}
		}
		out := make([]report.AlertState, 0, len(states))
		for _, s := range states {
			out = append(out, report.AlertState{Key: s.Key, Kind: s.Kind, SLO: s.SLO, Service: s.Service, Tier: s.Tier,
				Severity: s.Severity, Phase: s.Phase, Since: s.Since})
		}
		return out
	}
}

// alertsData is /api/v1/alerts: the states as of at, the stored changes in
// [from, to), and the notify targets' counters.
func alertsData(ctx context.Context, st *store.Store, r *alert.Runner, disp *notify.Dispatcher, interval time.Duration, at, from, to time.Time) (*server.AlertsData, error) {
	d := &server.AlertsData{At: at, States: alertStatesAt(st, r, interval)(at), Events: []server.AlertEvent{}, Targets: disp.Stats()}
	events, err := st.AlertEvents(ctx, from, to, 1000)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		var t alert.Transition
		if err := json.Unmarshal(e.Data, &t); err != nil {
			return nil, fmt.Errorf("alert event %d: %w", e.ID, err)
		}
		s := t.State
		d.Events = append(d.Events, server.AlertEvent{At: t.At, Key: s.Key, Kind: s.Kind, SLO: s.SLO, Service: s.Service, Tier: s.Tier,
			Severity: s.Severity, From: t.From, To: t.To, Summary: alert.Summary(s)})
	}
	if d.Targets == nil {
		d.Targets = []notify.TargetStats{}
	}
	return d, nil
}
