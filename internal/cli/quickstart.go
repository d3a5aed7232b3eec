package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
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

// quickstartCmd is `headroom quickstart`.
type quickstartCmd struct {
	dir, listen string
	serve       bool
}

func (c *quickstartCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.dir, "dir", "headroom-quickstart", "write the sample config, log and data into `DIR`")
	fs.BoolVar(&c.serve, "serve", false, "then serve the dashboard as of the sample's end (Ctrl-C stops)")
	fs.StringVar(&c.listen, "listen", "", "with --serve: serve HTTP on `ADDR` (default "+config.DefaultListen+")")
}

func (c *quickstartCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	cfgPath := filepath.Join(c.dir, "quickstart.yaml")
	kept, err := writeSample(c.dir)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	if kept {
		fmt.Fprintf(stdio.Out, "Kept %s: it differs from the sample's (delete it to get the sample's back). Wrote the sample access log; importing.\n\n", cfgPath)
	} else {
		fmt.Fprintf(stdio.Out, "Wrote %s and a sample access log; importing it.\n\n", cfgPath)
	}
	h := hints{prog: progName(stdio.Prog), config: cfgPath}
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
		if err := replayAlerts(ctx, cfg, p.st, time.UnixMilli(sum.firstTS), time.UnixMilli(sum.lastTS), stdio.Out, h); err != nil {
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
	at := ceilSecond(time.UnixMilli(last))
	if last == 0 {
		at = ceilSecond(time.Now())
	}
	atArg := atArg(at)
	fmt.Fprintln(stdio.Out)
	if err := (&statusCmd{config: cfgPath, at: instant{at}}).run(ctx, nil, stdio); err != nil {
		return err
	}
	if c.serve {
		fmt.Fprintln(stdio.Out)
		return (&serveCmd{config: cfgPath, listen: c.listen, at: instant{at}}).run(ctx, nil, stdio)
	}
	fmt.Fprintf(stdio.Out, "\nNext:\n  %s\n  %s\n  %s   # the dashboard, as of the sample's end\n",
		h.command("status", "--at", atArg, "--json"), h.command("alerts", "--at", atArg), h.command("serve", "--at", atArg))
	return nil
}

// writeSample writes the sample config and log into dir. A config there
// that differs from the sample's is the user's: it is kept (kept true).
func writeSample(dir string) (kept bool, err error) {
	for _, name := range []string{"quickstart.yaml", "access.log.gz"} {
		b, err := fs.ReadFile(examples.Quickstart, name)
		if err != nil {
			return false, err
		}
		path := filepath.Join(dir, name)
		if name == "quickstart.yaml" {
			old, err := os.ReadFile(path)
			switch {
			case err == nil && bytes.Equal(old, b):
				continue
			case err == nil:
				kept = true
				continue
			case !errors.Is(err, fs.ErrNotExist):
				return false, err
			}
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return false, err
		}
	}
	return kept, nil
}

// replayAlerts runs the alert evaluator over the sample, as `serve` would
// have while it was written (every 5 minutes, without notifying anyone), so
// that the dashboard's alert history shows the sample's incident.
func replayAlerts(ctx context.Context, cfg *config.Config, st *store.Store, from, to time.Time, w io.Writer, h hints) error {
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
	fmt.Fprintf(w, "\nreplayed the alerts over the sample: %d fired (`%s`, or the dashboard's Alerts page)\n",
		fired, h.command("alerts", "--at", atArg(to)))
	return nil
}
