package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/headroom-slo/headroom/examples"
	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

func runQuickstart(ctx context.Context, args []string, stdio Stdio) error {
	fset := newFlags("quickstart", stdio)
	dir := fset.String("dir", "headroom-quickstart", "directory to write the sample config, log and data into")
	serve := fset.Bool("serve", false, "then serve the dashboard as of the sample's end (Ctrl-C stops)")
	listen := fset.String("listen", "", "with --serve: HTTP address (default 127.0.0.1:8080)")
	if _, err := parseFlags(fset, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"quickstart.yaml", "access.log.gz"} {
		b, err := fs.ReadFile(examples.Quickstart, name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o644); err != nil {
			return err
		}
	}
	cfgPath := filepath.Join(*dir, "quickstart.yaml")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "Wrote %s and a sample access log; importing it.\n\n", cfgPath)
	p, err := openPipeline(ctx, cfg)
	if err != nil {
		return err
	}
	sum, err := p.importPaths(ctx, nil, "", stdio, true)
	if err != nil {
		p.st.Close()
		return err
	}
	sum.print(stdio.Out)
	if sum.firstTS > 0 && sum.lastTS > 0 {
		if err := replayAlerts(ctx, cfg, p.st, time.UnixMilli(sum.firstTS), time.UnixMilli(sum.lastTS), stdio.Out); err != nil {
			p.st.Close()
			return err
		}
	}
	// Evaluate as of the end of the sample, so its burn rates mean
	// something; the sample's end is in the store when it was imported
	// before.
	last := sum.lastTS
	if last == 0 {
		srcs, err := p.st.Sources(ctx)
		if err != nil {
			p.st.Close()
			return err
		}
		for _, s := range srcs {
			last = max(last, s.LastTS)
		}
	}
	p.st.Close()
	at := time.UnixMilli(last).UTC()
	if last == 0 {
		at = time.Now().UTC()
	}
	fmt.Fprintln(stdio.Out)
	if err := runStatus(ctx, []string{"--config", cfgPath, "--at", at.Format(time.RFC3339)}, stdio); err != nil {
		return err
	}
	if *serve {
		fmt.Fprintln(stdio.Out)
		serveArgs := []string{"--config", cfgPath, "--at", at.Format(time.RFC3339)}
		if *listen != "" {
			serveArgs = append(serveArgs, "--listen", *listen)
		}
		return runServe(ctx, serveArgs, stdio)
	}
	fmt.Fprintf(stdio.Out, "\nNext:\n  headroom status --config %s --at %s --json\n  headroom serve --config %s --at %s   # the dashboard, as of the sample's end\n",
		cfgPath, at.Format(time.RFC3339), cfgPath, at.Format(time.RFC3339))
	return nil
}

// replayAlerts runs the alert evaluator over the sample, as `serve` would
// have while it was written (every 5 minutes, without notifying anyone), so
// that the dashboard's alert history shows the sample's incident.
func replayAlerts(ctx context.Context, cfg *config.Config, st *store.Store, from, to time.Time, w io.Writer) error {
	eng, err := report.New(cfg, st)
	if err != nil {
		return err
	}
	r, err := alert.NewRunner(ctx, alert.RunnerOptions{Config: cfg, Measurer: eng, Store: st})
	if err != nil {
		return err
	}
	trs, err := r.Replay(ctx, from.Truncate(5*time.Minute), to, 5*time.Minute)
	if err != nil {
		return err
	}
	fired := 0
	for _, t := range trs {
		if t.Fired() {
			fired++
		}
	}
	fmt.Fprintf(w, "\nreplayed the alerts over the sample: %d fired (`headroom alerts`, or the dashboard's Alerts page)\n", fired)
	return nil
}
