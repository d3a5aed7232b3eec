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

// alertsData is /api/v1/alerts: the states as of at, the stored changes in
// [from, to), and the notify targets' counters.
func alertsData(ctx context.Context, h *alert.History, disp *notify.Dispatcher, at, from, to time.Time) (*server.AlertsData, error) {
	states, err := h.StatesAt(ctx, at)
	if err != nil {
		return nil, err
	}
	trs, err := h.Events(ctx, from, to, 1000)
	if err != nil {
		return nil, err
	}
	d := &server.AlertsData{At: at, States: states, Events: make([]alert.Event, 0, len(trs)), Targets: disp.Stats()}
	for _, t := range trs {
		d.Events = append(d.Events, t.Event())
	}
	if d.Targets == nil {
		d.Targets = []notify.TargetStats{}
	}
	return d, nil
}
