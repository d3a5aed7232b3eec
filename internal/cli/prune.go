package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"

	"github.com/headroom-slo/headroom/internal/store"
)

// pruneLoop applies the retention, relative to the wall clock, now and
// every hour until ctx is done; it logs what it deleted. Only a live serve
// runs it: looking at history (serve --at, status, the API, backtests)
// never deletes anything.
func (p *pipeline) pruneLoop(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		r := p.cfg.Storage.Retention
		pruned, err := p.st.Prune(ctx, time.Now(), time.Duration(r.Minutes), time.Duration(r.Hours), time.Duration(r.Days))
		if err != nil && ctx.Err() == nil {
			log.Warn("retention", "err", err)
		}
		for _, pr := range pruned {
			log.Info("retention deleted cells", "resolution", store.ResolutionName(pr.Res), "cells", pr.Cells,
				"before", pr.Cutoff.Format(time.RFC3339), "setting", "storage.retention."+store.ResolutionName(pr.Res)+"s")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// warnRetention warns when import stored data that a live serve's retention
// will prune to a coarser resolution, naming the setting that keeps it.
func warnRetention(w io.Writer, cfg *config.Config, oldest, now time.Time) {
	r := cfg.Storage.Retention
	for _, l := range []struct {
		keep       config.Duration
		res, finer string
	}{{r.Minutes, "minutes", "minute"}, {r.Hours, "hours", "hour"}} {
		if l.keep == config.Forever || l.keep <= 0 || !oldest.Before(now.Add(-time.Duration(l.keep))) {
			continue
		}
		fmt.Fprintf(w, "headroom import: warning: the data from %s is older than storage.retention.%s (%s): "+
			"a live `headroom serve` will delete its %s cells, and short windows over it will have no answer; "+
			"set storage.retention.%s: forever to keep them\n",
			oldest.UTC().Format(time.RFC3339), l.res, slo.FormatDuration(time.Duration(l.keep)), l.finer, l.res)
		return
	}
}
