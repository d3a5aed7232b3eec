package cli

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
)

// The flag values here parse once, when the flag is set, so a bad value is
// a usage error naming the flag, and commands take typed values.
//
// Every flag's usage names its value in backquotes (`FILE`, `TIME`): -h
// shows that name after the flag, and completion offers files for FILE and
// DIR.

// configFlag declares --config.
func configFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "config", "", "read the config from `FILE` (default "+DefaultConfig+")")
}

// jsonFlag declares --json.
func jsonFlag(fs *flag.FlagSet, p *bool) {
	fs.BoolVar(p, "json", false, "print JSON")
}

// atFlag declares --at: do what as of an instant, default now.
func atFlag(fs *flag.FlagSet, p *instant, what string) {
	fs.Var(p, "at", what+" `TIME` (RFC 3339); default now")
}

// instant is an RFC 3339 time flag; zero when not given.
type instant struct{ t time.Time }

func (i *instant) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("want RFC 3339, like 2026-11-20T12:00:00Z")
	}
	if !slo.InTimeRange(t) {
		return fmt.Errorf("out of range: want a time in %s", slo.TimeRange)
	}
	i.t = t.UTC()
	return nil
}

func (i *instant) String() string {
	if i == nil || i.t.IsZero() {
		return ""
	}
	return i.t.Format(time.RFC3339)
}

// or returns the instant, or now (in UTC) when the flag was not given.
func (i instant) or(now time.Time) time.Time {
	if i.t.IsZero() {
		return now.UTC()
	}
	return i.t
}

// duration is a duration flag written as 90s, 5m, 7d or 2w, of at least min.
type duration struct {
	d, min time.Duration
}

func (d *duration) Set(s string) error {
	v, err := slo.ParseDuration(s)
	if err != nil || v < d.min || v <= 0 {
		return fmt.Errorf("want a duration of at least %s, like 7d", slo.FormatDuration(max(d.min, time.Second)))
	}
	d.d = v
	return nil
}

func (d *duration) String() string {
	if d == nil {
		return ""
	}
	return slo.FormatDuration(d.d)
}

// choice is a flag that takes one of a few words.
type choice struct {
	value   string
	options []string
}

func (c *choice) Set(s string) error {
	if !slices.Contains(c.options, s) {
		return fmt.Errorf("want %s", strings.Join(c.options, " or "))
	}
	c.value = s
	return nil
}

func (c *choice) String() string {
	if c == nil {
		return ""
	}
	return c.value
}

// choices are the words the flag takes, for completion.
func (c *choice) choices() []string { return c.options }
