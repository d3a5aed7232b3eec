// Package cli is headroom's command line: it parses flags, wires the
// packages together and maps errors to exit statuses. It is the only package
// that imports all the others; main only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

// Stdio are the process's standard streams, and the name it was run by.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
	// Prog is how the user ran headroom (os.Args[0]): the commands that
	// help and hints print start the same way (`go run ./cmd/headroom` for
	// a binary go run built). Empty: headroom.
	Prog string
}

// Exit statuses.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed (or validate found problems)
	ExitUsage = 2 // bad flags or arguments
)

// A command is one entry of headroom's command table. Dispatch, -h and the
// completion scripts all read the table, so they cannot disagree.
type command struct {
	name     string   // as typed: "import", or a subcommand's "backtest"
	args     string   // the positional arguments, as the usage line shows them ("" for none)
	argFiles bool     // the positional arguments are files, for completion
	argWords []string // or one of these words
	argCmds  bool     // or the commands (help's)
	summary  string   // one line, for the list of commands
	about    string   // one paragraph, for -h
	examples []string // command lines, each with a comment after # when it needs one
	// new returns the command's runner; nil for a command that only groups
	// its subcommands (event, toil, policy).
	new  func() runner
	subs []command
}

// A runner is a command's flags and what it does with them.
type runner interface {
	// flags declares the command's flags on fs, bound to the runner's fields.
	flags(fs *flag.FlagSet)
	// run runs the command once its flags are parsed, with its positional
	// arguments.
	run(ctx context.Context, args []string, stdio Stdio) error
}

func commands() []command {
	return []command{
		{
			name: "quickstart", summary: "import the bundled sample log and show its SLOs (no setup)",
			about: "Write a sample config (quickstart.yaml) and a ten-day sample access log into --dir, import the log, " +
				"replay the burn-rate alerts over it as serve would have, and print every SLO's status as of the sample's end. " +
				"A quickstart.yaml that differs from the sample's (you edited it) is kept, not overwritten. " +
				"With --serve it goes on to serve the dashboard as of the sample's end.",
			examples: []string{
				"headroom quickstart",
				"headroom quickstart --serve   # then open http://127.0.0.1:8080/",
				"headroom quickstart --dir /tmp/hr --serve --listen 127.0.0.1:9090",
			},
			new: func() runner { return &quickstartCmd{} },
		},
		{
			name: "import", args: "[PATH|GLOB|-]...", argFiles: true,
			summary: "read log files, rotated and .gz ones, or stdin into the store",
			about: "Read access logs into the store. Without arguments it reads every configured log and its rotated siblings, " +
				".gz included; each PATH or GLOB given is read as the configured log whose glob matches it (or as --service's); " +
				"- reads standard input, plain or gzip. Content already imported is never counted twice, however renamed, " +
				"rotated, compressed or piped, and a grown file continues where it stopped. Malformed lines are counted and " +
				"sampled, never fatal.",
			examples: []string{
				"headroom import",
				"headroom import --config /etc/headroom.yaml /var/log/nginx/access.log.2.gz",
				"ssh web1 cat /var/log/nginx/access.log | headroom import --service web -",
			},
			new: func() runner { return &importCmd{} },
		},
		{
			name: "serve", summary: "follow the logs, serve the dashboard and API, send alerts",
			about: "Follow the configured logs through rotation, committing what is read at every poll, and serve the dashboard, " +
				"the JSON API under /api/v1/, /metrics and /healthz. Every alerting.interval it evaluates the burn-rate alerts " +
				"and sends their changes to the notify targets; it applies the retention hourly. With --at the dashboard shows " +
				"a fixed instant (a sample's end, an incident) and no alert is evaluated or sent. SIGINT or SIGTERM stops it.",
			examples: []string{
				"headroom serve",
				"headroom serve --config /etc/headroom.yaml --listen 0.0.0.0:8080",
				"headroom serve --at 2026-11-15T12:00:00Z   # the dashboard during an incident",
			},
			new: func() runner { return &serveCmd{} },
		},
		{
			name: "agent", summary: "follow this host's logs and push their minute cells to headroom servers",
			about: "Run beside Nginx on each host, or as a DaemonSet on each Kubernetes node: follow the configured logs like serve " +
				"(same parser, rotation handling and exactly-once read positions, in its own storage.dir) and push the minute cells " +
				"to every server in agent.push, each from its own cursor. While a server is down the commits wait in an on-disk " +
				"spool (agent.spool.max_bytes, default 1GiB; what does not fit is counted) and drain in order when it is back; a " +
				"push retried or replayed counts once. With an export: section it also sends its own series by Prometheus remote write " +
				"or to Datadog, labelled node with its name, exactly once across restarts (agent.push may then be empty). " +
				"agent.listen serves /metrics and /healthz. SIGINT or SIGTERM stops it.",
			examples: []string{
				"HEADROOM_PUSH_TOKEN=... headroom agent --config /etc/headroom/agent.yaml",
			},
			new: func() runner { return &agentCmd{} },
		},
		{
			name: "status", summary: "print every SLO's SLI, error budget and burn rates",
			about: "Print every SLO's window, events, SLI, error budget left and burn rates over 5m to 3d, and for every " +
				"configured log its files, lines, malformed and excluded lines, last event and lag. It only reads the store, " +
				"so it works while serve runs. --at evaluates as of a past instant; when the data ends long before that " +
				"instant, status says so and prints the command that shows the data as of its end.",
			examples: []string{
				"headroom status",
				"headroom status --at 2026-11-19T15:00:00Z",
				"headroom status --json | jq '.slos[] | {name, error_budget_remaining}'",
			},
			new: func() runner { return &statusCmd{} },
		},
		{
			name: "alerts", summary: "print the alerts' states and changes, as of now or --at",
			about: "Print the alerts firing or pending as of --at (default now) and the changes of state in the --since before " +
				"it. serve stores them as it evaluates, and quickstart replays the sample's: for data in the past, give --at " +
				"(status prints the instant the data ends).",
			examples: []string{
				"headroom alerts",
				"headroom alerts --at 2026-11-19T15:00:00Z --since 10d",
				"headroom alerts --json",
			},
			new: func() runner { return &alertsCmd{} },
			subs: []command{{
				name: "backtest", summary: "replay the alerts over history: what would have fired",
				about: "Evaluate the burn-rate alerts over stored history, from --from to --to every --step, and print what would " +
					"have fired and resolved, with detection and reset times. Nothing is stored or sent: use it to tune tiers " +
					"before enabling them.",
				examples: []string{
					"headroom alerts backtest --from 2026-11-01T00:00:00Z --to 2026-11-20T00:00:00Z",
					"headroom alerts backtest --slo web-availability --from 2026-11-15T00:00:00Z --to 2026-11-16T00:00:00Z --step 5m --json",
				},
				new: func() runner { return &backtestCmd{} },
			}},
		},
		{
			name: "suggest", summary: "suggest SLOs from stored history: what was met, what would have paged",
			about: "Read --service's stored history and print, for the service and its route groups (API reads, API writes, " +
				"pages, static assets, health checks, bots; and the configured SLOs' filters), the availability and latency " +
				"achieved in every --window-long window ending at a UTC midnight, the worst windows and days with the routes " +
				"and statuses behind them, and the share of health checks, bots and 4xx with what they do to the SLI. For " +
				"candidate objectives (99 to 99.99%, and the history's p90, p95 and p99 rounded up as latency thresholds) it " +
				"counts the windows each would have met, the budget each window spent and the pages and tickets the default " +
				"tiers would have fired, then recommends objectives by a stated rule and prints them as a slos: block that " +
				"validate accepts. It only reads the store.",
			examples: []string{
				"headroom suggest --service web",
				"headroom suggest --service web --window 7d --from 2026-09-01T00:00:00Z --to 2026-12-01T00:00:00Z",
				"headroom suggest --service web --json | jq '.candidates[] | select(.qualifies)'",
			},
			new: func() runner { return &suggestCmd{} },
		},
		{
			name: "review", summary: "print the sprint SLO review (YWT): Markdown or HTML, en or ja",
			about: "Print the sprint SLO review as YWT. Y, what we did: attainment over the sprint and the window, budget spent, " +
				"alerts, changes and their burn, toil. W, what we learned, computed from the data. T, what we do next: " +
				"suggestions for the team to edit. The dashboard's /review page is the same.",
			examples: []string{
				"headroom review > review.md",
				"headroom review --sprint previous --format html --lang ja > review.html",
				"headroom review --sprint 2026-11-10 --service web",
			},
			new: func() runner { return &reviewCmd{} },
		},
		capacityCommand(),
		{
			name: "slo-doc", summary: "write an SLO's document (SRE Workbook): Markdown or HTML, en or ja",
			about: "Write the SLO document of --slo, after the SRE Workbook's example, to commit next to the config: the service " +
				"and where its events come from, the SLI and how headroom measures it (logs or beacons, filters, exclusions, " +
				"thresholds, a composite's components), the objective and its rationale (the SLI achieved in each complete sprint, " +
				"or window of the SLO's length, of the stored history, and how many met it), the error budget in events and in " +
				"time, the error budget policy in force, the alert tiers and where they go, the review cadence and what headroom " +
				"cannot see. Without a store it is written from the config alone. --at dates it (default now).",
			examples: []string{
				"headroom slo-doc --slo web-availability > docs/slo/web-availability.md",
				"headroom slo-doc --config /etc/headroom.yaml --slo api-latency --lang ja --format html > api-latency.html",
				"headroom slo-doc --slo web-availability --at 2026-11-30T00:00:00Z   # as of a sprint's end",
			},
			new: func() runner { return &sloDocCmd{} },
		},
		{
			name: "event", summary: "record changes: deploys, config changes, feature flags",
			about: "Record changes, such as deploys, config changes and feature flags: the dashboard marks them on the charts " +
				"and the review measures the burn after each.",
			subs: []command{
				{
					name: "add", args: "[DESCRIPTION...]", summary: "record one change",
					about: "Record one change of --service, now or --at; the rest of the command line describes it. " +
						"The same change recorded twice is kept once.",
					examples: []string{
						"headroom event add --service web --version v1.4.2 release 1.4.2",
						"headroom event add --service web --kind flag --at 2026-11-15T09:30:00Z 'new checkout for 10%'",
					},
					new: func() runner { return &eventAddCmd{} },
				},
				{
					name: "import", args: "FILE|-", argFiles: true, summary: "record past changes from a file or stdin",
					about: "Record many changes at once, from FILE or, with -, standard input. --format jsonl reads one JSON " +
						"object a line with service, kind, version, description and at (RFC 3339). --format git reads the " +
						"output of git log --format='%H %cI %s' (hash, committer date, subject): each line is a change of " +
						"--service, versioned by its hash. Changes already recorded are skipped.",
					examples: []string{
						"headroom event import changes.jsonl",
						"git log --since=90.days --format='%H %cI %s' | headroom event import --format git --service web -",
					},
					new: func() runner { return &eventImportCmd{} },
				},
			},
		},
		maintenanceCmds(),
		{
			name: "export", summary: "hand headroom's SLOs and counts to Prometheus, Grafana and Datadog",
			about: "Write what other tools need to see what headroom measures, to standard output: Prometheus rules, a Grafana " +
				"dashboard, Datadog definitions; or send stored history to a Prometheus remote-write receiver.",
			subs: []command{exportRemoteWriteCmd(), exportPrometheusRulesCmd(), exportGrafanaCmd(), exportDatadogCmd()},
		},
		{
			name: "openslo", summary: "write the SLOs as OpenSLO v1, or read OpenSLO and Sloth specs",
			about: "Write the configured SLOs as OpenSLO v1 documents, or read OpenSLO v1 (and Sloth prometheus/v1) specs " +
				"and print the slos: block headroom's config takes.",
			subs: []command{opensloExportCmd(), opensloImportCmd()},
		},
		{
			name: "toil", summary: "log toil in the ledger the review reads",
			about: "Keep the toil ledger: the review sets the toil logged in a sprint against its spare capacity.",
			subs: []command{{
				name: "add", args: "[DESCRIPTION...]", summary: "log time spent on toil",
				about: "Log --minutes of toil of --category, now or --at; --tag names what it was, to spot the same toil " +
					"coming back; the rest of the command line describes it.",
				examples: []string{
					"headroom toil add --minutes 45 --category interrupt --tag db-restart restarted the primary after an OOM",
				},
				new: func() runner { return &toilAddCmd{} },
			}},
		},
		{
			name: "policy", summary: "the error budget policy, for CI gates",
			about: "The error budget policy: what the team does as an SLO's budget runs out (the config's policy rules).",
			subs: []command{{
				name: "check", summary: "evaluate the error budget policy; exit 1 on a freeze",
				about: "Evaluate the error budget policy for --service, or every service, as of --at: print each SLO's budget " +
					"left and the rule that applies. It exits 1 when a rule freezes deploys, so that a CI job can gate on it.",
				examples: []string{
					"headroom policy check --service web && ./deploy.sh",
					"headroom policy check --json",
				},
				new: func() runner { return &policyCheckCmd{} },
			}},
		},
		{
			name: "validate", summary: "check a config and list every problem",
			about: "Check a config and print every problem at once, each as file:line: field: problem (an unknown key with " +
				"the key probably meant, an unknown service with the configured ones), and exit 1; or print ok with the " +
				"number of services and SLOs. It reads no log and opens no store.",
			examples: []string{
				"headroom validate",
				"headroom validate --config /etc/headroom.yaml",
			},
			new: func() runner { return &validateCmd{} },
		},
		{
			name: "completion", args: "bash|zsh|fish", argWords: []string{"bash", "zsh", "fish"},
			summary: "print a shell completion script (bash, zsh or fish)",
			about:   "Print a script that completes headroom's commands, subcommands, flags and their values in bash, zsh or fish.",
			examples: []string{
				"source <(headroom completion bash)   # in ~/.bashrc",
				"headroom completion zsh > \"${fpath[1]}/_headroom\"",
				"headroom completion fish > ~/.config/fish/completions/headroom.fish",
			},
			new: func() runner { return &completionCmd{} },
		},
		{
			name: "reset", summary: "forget a service's imported data (after fixing its log format), to import it again",
			about: "Forget what was imported for --service: its minute, hour and day cells, its dimensions, the read " +
				"positions of its files and its malformed-line samples. Alert history, change events and toil are kept. " +
				"Then `headroom import` reads its logs again: the way back from a wrong log_format. A log read for " +
				"several services (services[].match) is forgotten for all of them or none: name them together, " +
				"--service shop-api,shop-web. It asks first on a terminal; elsewhere it needs --yes. Stop serve first.",
			examples: []string{
				"headroom reset --service web",
				"headroom reset --service web --yes && headroom import",
				"headroom reset --service shop-api,shop-web --yes   # services sharing a log",
			},
			new: func() runner { return &resetCmd{} },
		},
		{
			name: "version", summary: "print the version, commit and Go version",
			about: "Print the module version headroom was built as, the VCS commit it was built from, the commit's time, " +
				"whether the tree had uncommitted changes, and the Go version: what the binary recorded when it was built.",
			examples: []string{"headroom version", "headroom version --json"},
			new:      func() runner { return &versionCmd{} },
		},
		{
			name: "help", args: "[COMMAND [SUBCOMMAND]]", argCmds: true,
			summary: "print help for headroom or a command (same as COMMAND -h)",
			about:   "Print help for headroom, or for a command or subcommand: the same as COMMAND -h.",
			examples: []string{
				"headroom help",
				"headroom help alerts backtest",
			},
			new: func() runner { return &helpCmd{} },
		},
	}
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Run runs headroom with args (without the program name) and returns the
// exit status.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	prog := progName(stdio.Prog)
	if len(args) == 0 {
		printHelp(stdio.Err, prog, nil, nil)
		return ExitUsage
	}
	if isHelp(args[0]) {
		printHelp(stdio.Out, prog, nil, nil)
		return ExitOK
	}
	path, c, rest, err := lookup(args)
	if err != nil {
		fmt.Fprintf(stdio.Err, "headroom: %v\n", err)
		if c != nil {
			fmt.Fprintf(stdio.Err, "Run `%s %s -h` for help.\n", prog, strings.Join(path, " "))
		} else {
			fmt.Fprintf(stdio.Err, "Run `%s -h` for the commands.\n", prog)
		}
		return ExitUsage
	}
	name := strings.Join(path, " ")
	if c.new == nil { // a group: lookup saw to it that help was asked for
		printHelp(stdio.Out, prog, path, c)
		return ExitOK
	}
	fs := flag.NewFlagSet("headroom "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the errors are printed once, below; -h prints the help
	fs.Usage = func() {}
	r := c.new()
	r.flags(fs)
	pos, err := parseFlags(fs, rest)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdio.Out, prog, path, c)
		return ExitOK
	case err == nil && c.args == "" && len(pos) > 0:
		err = usagef("unexpected argument %q: %s takes flags only", pos[0], name)
	case err == nil:
		err = r.run(ctx, pos, stdio)
	}
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stdio.Err, "headroom %s: %v\n", name, ue.error)
		fmt.Fprintf(stdio.Err, "Usage: %s\nRun `%s %s -h` for help.\n", usageLine(prog, path, c), prog, name)
		return ExitUsage
	case errors.Is(err, errReported):
		return ExitError
	default:
		fmt.Fprintf(stdio.Err, "headroom %s: %v\n", name, err)
		return ExitError
	}
}

// lookup finds the command args name and returns its path ("event",
// "add"), the command and the arguments after its name. For a command that
// only groups subcommands, it returns the group without an error only when
// help was asked for.
func lookup(args []string) (path []string, c *command, rest []string, err error) {
	cmds := commands()
	for i := range cmds {
		if cmds[i].name == args[0] {
			c = &cmds[i]
		}
	}
	if c == nil {
		return nil, nil, nil, fmt.Errorf("unknown command %q%s", args[0], didYouMean(args[0], names(cmds)))
	}
	path, rest = []string{c.name}, args[1:]
	for len(c.subs) > 0 {
		var sub *command
		if len(rest) > 0 {
			for i := range c.subs {
				if c.subs[i].name == rest[0] {
					sub = &c.subs[i]
				}
			}
		}
		if sub == nil {
			break
		}
		c, path, rest = sub, append(path, sub.name), rest[1:]
	}
	if c.new != nil {
		return path, c, rest, nil
	}
	switch {
	case len(rest) > 0 && isHelp(rest[0]):
		return path, c, rest, nil
	case len(rest) == 0 || strings.HasPrefix(rest[0], "-"):
		return path, c, rest, fmt.Errorf("%s: want a subcommand: %s", strings.Join(path, " "), strings.Join(names(c.subs), " or "))
	default:
		return path, c, rest, fmt.Errorf("%s: unknown subcommand %q%s (want %s)", strings.Join(path, " "), rest[0],
			didYouMean(rest[0], names(c.subs)), strings.Join(names(c.subs), " or "))
	}
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

func names(cmds []command) []string {
	out := make([]string, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, c.name)
	}
	return out
}

// didYouMean is " (did you mean X?)" when word looks like a typo of one of
// names, else "".
func didYouMean(word string, names []string) string {
	if s, ok := config.Closest(word, names); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// errReported means the command already printed what went wrong.
var errReported = errors.New("reported")

// parseFlags parses args, allowing flags after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{flagError(fs, err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// The flag package's errors are text only: these patterns reword them for
// display (the exit status does not depend on them), and leave any other
// message as it is.
var (
	badValueRE   = regexp.MustCompile(`^invalid (boolean )?value "(.*)" for (?:flag )?-(\S+): (.*)$`)
	undefinedRE  = regexp.MustCompile(`^flag provided but not defined: -+(\S+)$`)
	needsValueRE = regexp.MustCompile(`^flag needs an argument: -+(\S+)$`)
)

// flagError says the flag package's errors the way help shows flags
// (--name), with the flag probably meant for one that does not exist.
func flagError(fs *flag.FlagSet, err error) error {
	dashes := func(name string) string { return cmdFlag{name: name}.dashes() }
	msg := err.Error()
	if m := badValueRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			m[4] = "want true or false"
		}
		return fmt.Errorf("%s %q: %s", dashes(m[3]), m[2], m[4])
	}
	if m := needsValueRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s needs a value", dashes(m[1]))
	}
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
		if s, ok := config.Closest(m[1], known); ok {
			return fmt.Errorf("unknown flag %s (did you mean %s?)", dashes(m[1]), dashes(s))
		}
		return fmt.Errorf("unknown flag %s", dashes(m[1]))
	}
	return err
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

// validateCmd is `headroom validate`.
type validateCmd struct{ config string }

func (c *validateCmd) flags(fs *flag.FlagSet) { configFlag(fs, &c.config) }

func (c *validateCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	cfg, err := loadConfig(c.config)
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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// printJSON writes v as indented JSON: the --json output of every command.
func printJSON(w io.Writer, v any) error { return report.WriteJSON(w, v, true) }

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
