// Package cli is headroom's command line: it parses flags, wires the
// packages together and maps errors to exit statuses. It is the only package
// that imports all the others; main only calls Run.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

// Stdio are the process's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed (or validate found problems)
	ExitUsage = 2 // bad flags or arguments
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, io Stdio) error
}

func commands() []command {
	return []command{
		{"quickstart", "import the bundled sample log and show its SLOs (no setup)", runQuickstart},
		{"import", "backfill cells from log files, rotated and .gz files, or stdin", runImport},
		{"serve", "follow the configured logs; serve the dashboard, API, /metrics; evaluate and send alerts", runServe},
		{"status", "print every SLO's SLI, error budget and burn rates", runStatus},
		{"alerts", "print the alerts' states and history; `alerts backtest` replays them over history", runAlerts},
		{"review", "the sprint SLO review (YWT) in Markdown or HTML, English or Japanese", runReview},
		{"event", "record a change (deploy, config, flag): `event add`, or `event import` history", runEvent},
		{"toil", "log toil: `toil add --minutes 45 --category interrupt --tag db-restart \"...\"`", runToil},
		{"policy", "`policy check`: the error budget policy; exit 1 on a freeze (for CI gates)", runPolicy},
		{"reset", "forget a service's imported data (after fixing its log format), to import it again", runReset},
		{"validate", "check a config and list every problem", runValidate},
		{"version", "print the version", runVersion},
	}
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Run runs headroom with args (without the program name) and returns the
// exit status.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdio.Err)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdio)
		var ue usageError
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stdio.Err, "headroom %s: %v\n", c.name, ue.error)
			return ExitUsage
		case errors.Is(err, errReported):
			return ExitError
		default:
			fmt.Fprintf(stdio.Err, "headroom %s: %v\n", c.name, err)
			return ExitError
		}
	}
	fmt.Fprintf(stdio.Err, "headroom: unknown command %q\n\n", args[0])
	usage(stdio.Err)
	return ExitUsage
}

// errReported means the command already printed what went wrong.
var errReported = errors.New("reported")

func usage(w io.Writer) {
	fmt.Fprintln(w, "headroom turns Nginx access logs into SLIs, SLOs and error budgets.")
	fmt.Fprintln(w, "\nUsage: headroom COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `headroom COMMAND -h` for a command's flags.")
}

func newFlags(name string, stdio Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("headroom "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// DefaultConfig is the config file used when --config is not given.
const DefaultConfig = "headroom.yaml"

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		path = DefaultConfig
		if _, err := os.Stat(path); err != nil {
			return nil, usagef("no --config given and no %s here (try `headroom quickstart`)", DefaultConfig)
		}
	}
	return config.Load(path)
}

func logger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runValidate(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("validate", stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return err
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stdio.Err, line)
		}
		n := strings.Count(err.Error(), "\n") + 1
		fmt.Fprintf(stdio.Err, "%d problem%s found\n", n, plural(n))
		return errReported
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stdio.Err, "warning:", w)
	}
	if err := validateLogs(ctx, cfg, stdio.Err); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "%s: ok (%d services, %d SLOs)\n", cfg.Path, len(cfg.Services), len(cfg.SLOs))
	return nil
}

func runVersion(_ context.Context, args []string, stdio Stdio) error {
	fs := newFlags("version", stdio)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out, "headroom", Version())
	return nil
}

// Version returns the module version, or the VCS revision for a dev build.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		v = "dev-" + rev[:min(12, len(rev))]
		if dirty {
			v += "-dirty"
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v + " " + bi.GoVersion
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// printJSON writes v as indented JSON: the --json output of every command.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openStore loads the config and opens its store (read-only for commands
// that only read, so they work next to a running serve).
func openStore(cfgPath string, readOnly bool) (*config.Config, *store.Store, error) {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(cfg.Storage.Dir, store.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// openEngine opens cfg's store read-only with a report engine over it.
func openEngine(cfg *config.Config) (*store.Store, *report.Engine, error) {
	st, err := store.Open(cfg.Storage.Dir, store.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	eng, err := report.New(cfg, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, eng, nil
}
