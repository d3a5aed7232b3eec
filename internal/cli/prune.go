package cli

import (
	"context"
	"log/slog"
	"time"
)

// pruneLoop applies the retention now and every hour until ctx is done.
func (p *pipeline) pruneLoop(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		r := p.cfg.Storage.Retention
		n, err := p.st.Prune(ctx, time.Now(), time.Duration(r.Minutes), time.Duration(r.Hours), time.Duration(r.Days))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("retention", "err", err)
		case n > 0:
			log.Info("retention", "deleted_cells", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
