package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/export"
)

func exportRemoteWriteCmd() command {
	return command{
		name: "remote-write", summary: "backfill the store's minutes to a Prometheus remote write receiver",
		about: "Send the exported series (headroom_slo_events_total, headroom_http_requests_total, " +
			"headroom_http_request_duration_seconds_bucket: docs/export.md) of every closed minute of [--from, --to) " +
			"to a remote write 1.0 receiver, one sample per series and minute at the minute's end, cumulative from the " +
			"store's first cell: sending a minute again writes the same value. --from defaults to the first stored minute, " +
			"--to to the end of the last stored (and closed) one. Live export is serve's (export.remote_write in the config). " +
			"Prometheus takes samples older than its head block only with --storage.tsdb.out-of-order-time-window; " +
			"VictoriaMetrics takes them as they are.",
		examples: []string{
			"headroom export remote-write --url http://127.0.0.1:8428/api/v1/write   # VictoriaMetrics",
			"headroom export remote-write --url https://mimir.example.com/api/v1/push --bearer-token-env MIMIR_TOKEN --from 2026-11-01T00:00:00Z",
		},
		new: func() runner { return &exportRemoteWriteRun{} },
	}
}

type exportRemoteWriteRun struct {
	config, url, tokenEnv string
	from, to              instant
}

func (c *exportRemoteWriteRun) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.url, "url", "", "the receiver's remote write `URL` (required)")
	fs.StringVar(&c.tokenEnv, "bearer-token-env", "", "send the token in environment variable `VAR` as Authorization: Bearer")
	fs.Var(&c.from, "from", "first minute to send, `TIME` (RFC 3339); default the first stored")
	fs.Var(&c.to, "to", "send the minutes before `TIME` (RFC 3339); default the end of the last stored minute")
}

func (c *exportRemoteWriteRun) run(ctx context.Context, rest []string, stdio Stdio) error {
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if u, err := url.Parse(c.url); c.url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url: want the receiver's URL like http://127.0.0.1:8428/api/v1/write")
	}
	target := config.RemoteWrite{URL: c.url, BearerTokenEnv: c.tokenEnv}
	h, err := export.RemoteWriteHeader(target, func(field, name string) (string, error) {
		if v := os.Getenv(name); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%s: environment variable %s is unset or empty", field, name)
	}, "--bearer-token-env")
	if err != nil {
		return err
	}
	cfg, st, err := openStore(c.config, true)
	if err != nil {
		return err
	}
	defer st.Close()
	from, to := c.from.t, c.to.t
	// By default, from the first stored minute to the end of the last: a
	// log of 2015 imported today is 5,000 minutes to send, not every
	// minute of the 11 years since (the counters do not move after it).
	var last time.Time
	for _, svc := range cfg.Services {
		id, err := st.ServiceID(ctx, svc.Name, false)
		if err != nil || id == 0 {
			continue
		}
		if first, ok, err := st.FirstStart(ctx, id); c.from.t.IsZero() && err == nil && ok && (from.IsZero() || time.Unix(first, 0).Before(from)) {
			from = time.Unix(first, 0).UTC()
		}
		if m, ok, err := st.LastMinute(ctx, id); err == nil && ok && time.Unix(m+60, 0).After(last) {
			last = time.Unix(m+60, 0).UTC()
		}
	}
	if to.IsZero() {
		to = time.Now()
		if !last.IsZero() && last.Before(to) {
			to = last
		}
	}
	if from.IsZero() || !to.After(from) {
		fmt.Fprintln(stdio.Out, "nothing to send: no stored minute in the range")
		return nil
	}
	w := &export.RemoteWriter{URL: c.url, Header: h}
	start := time.Now()
	n, err := export.Backfill(ctx, cfg, st, from, to, 60, func(ctx context.Context, data []byte, last time.Time) error {
		return retry(ctx, 5, func() error { return w.Send(ctx, data) })
	})
	if err != nil {
		return fmt.Errorf("remote write to %s: sent %d minutes: %w", c.url, n, err)
	}
	fmt.Fprintf(stdio.Out, "sent %d minutes (%s … %s) to %s in %s\n", n, from.Format(time.RFC3339), to.Truncate(time.Minute).Format(time.RFC3339), c.url, time.Since(start).Round(time.Millisecond))
	return nil
}

// retry calls fn up to attempts times while it fails with a retryable
// error, waiting 1s, 2s, 4s… between attempts.
func retry(ctx context.Context, attempts int, fn func() error) error {
	wait := time.Second
	for i := 1; ; i++ {
		err := fn()
		if err == nil || errors.Is(err, export.ErrRejected) || i == attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}
