package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/headroom-slo/headroom/examples"
	"github.com/headroom-slo/headroom/internal/config"
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
	p.st.Close()
	// Evaluate as of the end of the sample, so its burn rates mean something.
	at := time.UnixMilli(sum.lastTS).UTC()
	if sum.lastTS == 0 {
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
