package cli

import (
	"bufio"
	"context"
	"encoding/json"
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

// parseAt reads --at (RFC 3339; default now).
func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, usagef("--at %q: want RFC 3339, like 2026-11-20T12:00:00Z", s)
	}
	return t.UTC(), nil
}

// runEvent is `headroom event add|import`.
func runEvent(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "import") {
		return usagef("event: want `event add` or `event import`")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("event "+sub, stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	service := fs.String("service", "", "the service changed (required for add and git imports)")
	kind := fs.String("kind", review.DefaultChangeKind, "what changed: deploy, config, flag, …")
	version := fs.String("version", "", "the version deployed")
	at := fs.String("at", "", "when (RFC 3339); default now")
	format := fs.String("format", "jsonl", "import: jsonl (one {service, kind, version, description, at} a line) or git (`git log --format='%H %cI %s'`)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	cfg, st, err := openStore(*cfgPath, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var events []store.ChangeEvent
	switch sub {
	case "add":
		t, err := parseAt(*at)
		if err != nil {
			return err
		}
		e, err := review.CheckChange(cfg, store.ChangeEvent{Service: *service, Kind: *kind, Version: *version, Description: strings.Join(rest, " "), At: t}, t)
		if err != nil {
			return usageError{err}
		}
		events = append(events, e)
	case "import":
		if len(rest) != 1 {
			return usagef("event import: want one file (or - for stdin)")
		}
		var r io.Reader = stdio.In
		if rest[0] != "-" {
			f, err := os.Open(rest[0])
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		if events, err = parseChanges(r, *format, *service, *kind); err != nil {
			return err
		}
		for i, e := range events { // each says when (parseChanges sees to it)
			if events[i], err = review.CheckChange(cfg, e, e.At); err != nil {
				return err
			}
		}
	}
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
			if service == "" {
				return nil, usagef("event import --format git: --service is required")
			}
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

// runToil is `headroom toil add`.
func runToil(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) == 0 || args[0] != "add" {
		return usagef("toil: want `toil add --minutes N --category C [--tag T] [description]`")
	}
	fs := newFlags("toil add", stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	minutes := fs.Float64("minutes", 0, "time spent (required)")
	category := fs.String("category", review.DefaultToilCategory, "interrupt, manual, oncall, …")
	tag := fs.String("tag", "", "what it was, to spot recurring toil (db-restart)")
	service := fs.String("service", "", "the service it was for")
	at := fs.String("at", "", "when (RFC 3339); default now")
	rest, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	t, err := parseAt(*at)
	if err != nil {
		return err
	}
	e, err := review.CheckToil(store.ToilEntry{At: t, Minutes: *minutes, Category: *category, Tag: *tag, Service: *service, Description: strings.Join(rest, " ")}, t)
	if err != nil {
		return usageError{err}
	}
	_, st, err := openStore(*cfgPath, false)
	if err != nil {
		return err
	}
	defer st.Close()
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

// runPolicy is `headroom policy check`: exit 0 when deploys may go, 1 on a
// freeze.
func runPolicy(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) == 0 || args[0] != "check" {
		return usagef("policy: want `policy check [--service NAME]`")
	}
	fs := newFlags("policy check", stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	service := fs.String("service", "", "the service (default: all)")
	at := fs.String("at", "", "evaluate as of (RFC 3339); default now")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	t, err := parseAt(*at)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *service != "" && cfg.Service(*service) == nil {
		return usagef("--service %q: not a configured service", *service)
	}
	st, eng, err := openEngine(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := review.Policy(ctx, cfg, eng, *service, t)
	if err != nil {
		return err
	}
	if *asJSON {
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
		name := *service
		if name == "" {
			name = "all services"
		}
		return errFreeze{name}
	}
	return nil
}

// runReview is `headroom review`.
func runReview(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("review", stdio)
	cfgPath := fs.String("config", "", "config file (default "+DefaultConfig+")")
	which := fs.String("sprint", "current", "current, previous, or a date in the sprint (2025-03-17)")
	service := fs.String("service", "", "one service (default: all)")
	format := fs.String("format", "md", "md or html")
	lang := fs.String("lang", "en", "en or ja")
	at := fs.String("at", "", "review as of (RFC 3339); default now")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	now, err := parseAt(*at)
	if err != nil {
		return err
	}
	if *format != "md" && *format != "html" {
		return usagef("--format %q: want md or html", *format)
	}
	if *lang != "en" && *lang != "ja" {
		return usagef("--lang %q: want en or ja", *lang)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	st, eng, err := openEngine(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sp, err := review.NewSprints(cfg).Resolve(*which, now)
	if err != nil {
		return usageError{err}
	}
	r, err := reviews{cfg: cfg, eng: eng, st: st}.Review(ctx, sp, *service, now)
	if err != nil {
		return err
	}
	var out []byte
	if *format == "html" {
		out, err = review.HTML(r, *lang)
	} else {
		out, err = review.Markdown(r, *lang)
	}
	if err != nil {
		return err
	}
	_, err = stdio.Out.Write(out)
	return err
}
