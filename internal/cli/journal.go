package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/store"
)

// eventAddCmd is `headroom event add`.
type eventAddCmd struct {
	config, service, kind, version string
	at                             instant
}

func (c *eventAddCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "the service `NAME` changed (required)")
	fs.StringVar(&c.kind, "kind", review.DefaultChangeKind, "what changed, a `KIND`: deploy, config, flag, …")
	fs.StringVar(&c.version, "version", "", "the `VERSION` deployed")
	atFlag(fs, &c.at, "record it as of")
}

func (c *eventAddCmd) run(ctx context.Context, words []string, stdio Stdio) error {
	t := c.at.or(time.Now())
	if c.service == "" {
		return usagef("--service is required")
	}
	cfg, st, err := openStore(c.config, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := cfg.CheckService(c.service); err != nil {
		return usagef("--service: %v", err)
	}
	e, err := review.CheckChange(cfg, store.ChangeEvent{Service: c.service, Kind: c.kind, Version: c.version, Description: strings.Join(words, " "), At: t}, t)
	if err != nil {
		return usageError{err}
	}
	return addChanges(ctx, st, []store.ChangeEvent{e}, stdio)
}

// eventImportCmd is `headroom event import`.
type eventImportCmd struct {
	config, service, kind string
	format                choice
}

func (c *eventImportCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	c.format = choice{value: "jsonl", options: []string{"jsonl", "git"}}
	fs.Var(&c.format, "format", "read the file as `FORMAT`: jsonl, a JSON object a line, or git, the output of git log --format='%H %cI %s'")
	fs.StringVar(&c.service, "service", "", "with --format git: the service `NAME` the commits changed (required)")
	fs.StringVar(&c.kind, "kind", review.DefaultChangeKind, "the `KIND` of the changes that do not say")
}

func (c *eventImportCmd) run(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) != 1 {
		return usagef("want one file (or - for stdin), got %d arguments", len(args))
	}
	if c.format.value == "git" && c.service == "" {
		return usagef("--format git: --service is required")
	}
	cfg, st, err := openStore(c.config, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.service != "" {
		if err := cfg.CheckService(c.service); err != nil {
			return usagef("--service: %v", err)
		}
	}
	var r io.Reader = stdio.In
	name := "stdin"
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, args[0]
	}
	events, err := parseChanges(r, c.format.value, c.service, c.kind)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for i, e := range events { // each says when (parseChanges sees to it)
		if events[i], err = review.CheckChange(cfg, e, e.At); err != nil {
			return fmt.Errorf("%s: change %d: %w", name, i+1, err)
		}
	}
	return addChanges(ctx, st, events, stdio)
}

// addChanges records events and says how many were new.
func addChanges(ctx context.Context, st *store.Store, events []store.ChangeEvent, stdio Stdio) error {
	n, err := st.AddChanges(ctx, events)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "%d change%s recorded (%d already known)\n", n, plural(n), len(events)-n)
	return nil
}

var gitLine = regexp.MustCompile(`^([0-9a-f]{7,40})\s+(\S+)\s*(.*)$`)

// parseChanges reads a bulk import: JSON lines, or `git log
// --format='%H %cI %s'` (hash, committer date, subject) with the service
// and kind given.
func parseChanges(r io.Reader, format, service, kind string) ([]store.ChangeEvent, error) {
	var out []store.ChangeEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		switch format {
		case "jsonl":
			var e store.ChangeEvent
			if err := json.Unmarshal([]byte(text), &e); err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
			if e.Service == "" || e.At.IsZero() {
				return nil, fmt.Errorf("line %d: service and at are required", line)
			}
			if e.Kind == "" {
				e.Kind = kind
			}
			out = append(out, e)
		case "git":
			m := gitLine.FindStringSubmatch(text)
			if m == nil {
				return nil, fmt.Errorf("line %d: want `<hash> <ISO date> <subject>` (git log --format='%%H %%cI %%s')", line)
			}
			t, err := time.Parse(time.RFC3339, m[2])
			if err != nil {
				return nil, fmt.Errorf("line %d: date %q: %v", line, m[2], err)
			}
			out = append(out, store.ChangeEvent{Service: service, Kind: kind, Version: m[1][:min(len(m[1]), 12)], Description: m[3], At: t.UTC()})
		default:
			return nil, usagef("--format %q: want jsonl or git", format)
		}
	}
	return out, sc.Err()
}

// toilAddCmd is `headroom toil add`.
type toilAddCmd struct {
	config, category, tag, service string
	minutes                        float64
	at                             instant
}

func (c *toilAddCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.Float64Var(&c.minutes, "minutes", 0, "the time spent, `N` minutes (required)")
	fs.StringVar(&c.category, "category", review.DefaultToilCategory, "the toil's `CATEGORY`: interrupt, manual, oncall, …")
	fs.StringVar(&c.tag, "tag", "", "what it was, a `TAG` to spot recurring toil (db-restart)")
	fs.StringVar(&c.service, "service", "", "the service `NAME` it was for")
	atFlag(fs, &c.at, "record it as of")
}

func (c *toilAddCmd) run(ctx context.Context, words []string, stdio Stdio) error {
	t := c.at.or(time.Now())
	cfg, st, err := openStore(c.config, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.service != "" {
		if err := cfg.CheckService(c.service); err != nil {
			return usagef("--service: %v", err)
		}
	}
	e, err := review.CheckToil(cfg, store.ToilEntry{At: t, Minutes: c.minutes, Category: c.category, Tag: c.tag, Service: c.service, Description: strings.Join(words, " ")}, t)
	if err != nil {
		return usageError{err}
	}
	id, err := st.AddToil(ctx, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "toil #%d: %s min of %s recorded\n", id, strconv.FormatFloat(e.Minutes, 'f', -1, 64), e.Category)
	return nil
}

// errFreeze makes `policy check` exit 1 without printing an error twice.
type errFreeze struct{ service string }

func (e errFreeze) Error() string { return "error budget policy: freeze for " + e.service }

// policyCheckCmd is `headroom policy check`: exit 0 when deploys may go,
// 1 on a freeze.
type policyCheckCmd struct {
	config, service string
	at              instant
	json            bool
}

func (c *policyCheckCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "check only service `NAME` (default: all)")
	atFlag(fs, &c.at, "evaluate as of")
	jsonFlag(fs, &c.json)
}

func (c *policyCheckCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	t := c.at.or(time.Now())
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if c.service != "" {
		if err := cfg.CheckService(c.service); err != nil {
			return usagef("--service: %v", err)
		}
	}
	st, eng, err := openEngine(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := review.Policy(ctx, cfg, eng, c.service, t)
	if err != nil {
		return err
	}
	if c.json {
		if err := printJSON(stdio.Out, p); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(stdio.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SLO\tBUDGET LEFT\tPOLICY")
		for _, s := range p.SLOs {
			rule := "-"
			if s.Action != "" {
				rule = fmt.Sprintf("%s (below %g%%)", s.Action, s.Below)
				if s.Freeze {
					rule += " [freeze]"
				}
			}
			left := fmt.Sprintf("%.1f%%", s.BudgetRemaining*100)
			if s.NoData {
				left = "no data"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.SLO, left, rule)
		}
		tw.Flush()
		fmt.Fprintln(stdio.Out, p.Status)
	}
	if p.Freeze {
		name := c.service
		if name == "" {
			name = "all services"
		}
		return errFreeze{name}
	}
	return nil
}

// reviewCmd is `headroom review`.
type reviewCmd struct {
	config, sprint, service string
	format, lang            choice
	at                      instant
}

func (c *reviewCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.sprint, "sprint", "current", "the `SPRINT`: current, previous, or a date in it (2025-03-17)")
	fs.StringVar(&c.service, "service", "", "review only service `NAME` (default: all)")
	c.format = choice{value: "md", options: []string{"md", "html"}}
	fs.Var(&c.format, "format", "print `FORMAT`: md (Markdown) or html")
	c.lang = choice{value: "en", options: []string{"en", "ja"}}
	fs.Var(&c.lang, "lang", "write in `LANG`: en (English) or ja (Japanese)")
	atFlag(fs, &c.at, "review as of")
}

func (c *reviewCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	now := c.at.or(time.Now())
	cfg, err := loadConfig(c.config)
	if err != nil {
		return err
	}
	if c.service != "" {
		if err := cfg.CheckService(c.service); err != nil {
			return usagef("--service: %v", err)
		}
	}
	st, eng, err := openEngine(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sp, err := review.NewSprints(cfg).Resolve(c.sprint, now)
	if err != nil {
		return usageError{fmt.Errorf("--sprint %w", err)}
	}
	r, err := reviews{cfg: cfg, eng: eng, st: st}.Review(ctx, sp, c.service, now)
	if err != nil {
		return err
	}
	var out []byte
	if c.format.value == "html" {
		out, err = review.HTML(r, c.lang.value)
	} else {
		out, err = review.Markdown(r, c.lang.value)
	}
	if err != nil {
		return err
	}
	_, err = stdio.Out.Write(out)
	return err
}
