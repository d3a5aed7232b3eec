package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/capacity"
	"github.com/headroom-slo/headroom/internal/config"
)

// capacityCommand is `headroom capacity`'s entry in the command table.
func capacityCommand() command {
	return command{
		name: "capacity", summary: "print a service's daily peak, growth and when it reaches its tested capacity",
		about: "Print a service's daily peak request rate (the p99 of each UTC day's per-minute rates), its weekly growth " +
			"(a Theil–Sen fit of the last --weeks of peaks, with a 95% interval), the weekday pattern, a forecast of the " +
			"weekly peak, and the latency percentiles by load decile with where latency bends. With services[].capacity.rps " +
			"set (a load test's result) it prints the dates the forecast peak reaches 80% and 100% of it; null in --json " +
			"when not within two years. --at evaluates as of a past instant. docs/capacity.md gives the math.",
		examples: []string{
			"headroom capacity --service web",
			"headroom capacity --service web --at 2026-11-01T00:00:00Z --weeks 8",
			"headroom capacity --service web --json | jq '{peak_rps, weekly_growth, crosses}'",
		},
		new: func() runner { return &capacityCmd{} },
	}
}

// capacityCmd is `headroom capacity`.
type capacityCmd struct {
	config, service string
	at              instant
	weeks           int
	json            bool
}

func (c *capacityCmd) flags(fs *flag.FlagSet) {
	configFlag(fs, &c.config)
	fs.StringVar(&c.service, "service", "", "the service `NAME` (required)")
	atFlag(fs, &c.at, "evaluate as of")
	fs.IntVar(&c.weeks, "weeks", capacity.DefaultWeeks, "fit the last `N` weeks of daily peaks")
	jsonFlag(fs, &c.json)
}

func (c *capacityCmd) run(ctx context.Context, _ []string, stdio Stdio) error {
	if c.service == "" {
		return usagef("--service is required")
	}
	if c.weeks < 2 || c.weeks > 104 {
		return usagef("--weeks %d: want 2 to 104", c.weeks)
	}
	cfg, st, err := openStore(c.config, true)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := cfg.Service(c.service)
	if svc == nil {
		return usagef("--service: %v", cfg.CheckService(c.service))
	}
	if len(svc.Logs) == 0 && svc.RUM != nil && cfg.Server.Push == nil {
		return usagef("--service %s: a frontend app (rum, no logs) has no Nginx requests to plan capacity for", c.service)
	}
	r, err := capacity.Service(ctx, st, *svc, c.at.or(time.Now()), c.weeks)
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(stdio.Out, r.View())
	}
	printCapacity(stdio.Out, cfg, r)
	return nil
}

func printCapacity(w io.Writer, cfg *config.Config, r *capacity.Report) {
	fmt.Fprintf(w, "%s: capacity as of %s\n", r.Service, r.At.Format(time.RFC3339))
	if len(r.Days) == 0 || r.PeakDate.IsZero() {
		if today := r.At.UTC().Truncate(24 * time.Hour); r.To.Before(today) && len(r.Days) == 0 {
			// The stored traffic ends before the weeks read (an old log
			// imported): say where it is.
			fmt.Fprintf(w, "no complete UTC day with traffic in the weeks before %s: the stored traffic ends on %s; see it as of then with --at %s\n",
				today.Format(time.DateOnly), r.To.Format(time.DateOnly), r.To.Format(time.RFC3339))
			return
		}
		fmt.Fprintf(w, "no complete UTC day with traffic stored from %s to %s\n", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "days\t%s … %s (%d UTC days)\n", r.From.Format(time.DateOnly), r.To.AddDate(0, 0, -1).Format(time.DateOnly), len(r.Days))
	fmt.Fprintf(tw, "peak\t%s rps on %s (p99 of the day's per-minute rates)\n", capacity.RPS(r.PeakRPS), r.PeakDate.Format(time.DateOnly))
	if t := r.Trend; t != nil {
		fmt.Fprintf(tw, "growth\t%s a week (%.0f%% interval %s … %s), fitted on %d days\n",
			growthPct(t.WeeklyGrowth), t.Confidence*100, growthPct(t.WeeklyGrowthLow), growthPct(t.WeeklyGrowthHigh), t.Days)
		s := r.Seasonality
		var parts []string
		for _, wd := range []time.Weekday{1, 2, 3, 4, 5, 6, 0} {
			parts = append(parts, fmt.Sprintf("%s %.2f", wd.String()[:3], s.Factors[wd]))
		}
		fmt.Fprintf(tw, "weekdays\t%s (× the week's mean peak; busiest %s)\n", strings.Join(parts, ", "), s.Worst)
	} else {
		fmt.Fprintf(tw, "growth\tunknown: %s\n", r.Why)
	}
	if r.CapacityRPS > 0 {
		fmt.Fprintf(tw, "capacity\t%s rps (services[].capacity.rps)\n", capacity.RPS(r.CapacityRPS))
	} else {
		fmt.Fprintf(tw, "capacity\tnot set: add `capacity: {rps: N}` to service %s in %s (N from a load test) for the dates the peak reaches it\n", r.Service, cfg.Path)
	}
	tw.Flush()
	if r.Note != "" {
		fmt.Fprintf(w, "note: %s\n", r.Note)
	}
	if t := r.Trend; t != nil {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		head := "WEEK OF\tFORECAST PEAK\tINTERVAL"
		if r.CapacityRPS > 0 {
			head += "\tOF CAPACITY"
		}
		fmt.Fprintln(tw, head)
		for _, weeks := range []int{0, 4, 8, 13, 26, 52} {
			start := r.Today.AddDate(0, 0, 7*weeks)
			p, lo, hi := t.WeekPeak(start)
			line := fmt.Sprintf("%s (+%dw)\t%s rps\t%s … %s", start.Format(time.DateOnly), weeks, capacity.RPS(p), capacity.RPS(lo), capacity.RPS(hi))
			if r.CapacityRPS > 0 {
				line += fmt.Sprintf("\t%.0f%%", p/r.CapacityRPS*100)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
		if len(r.Crossings) > 0 {
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "REACHES\tRPS\tDATE\tINTERVAL\tIN")
			for _, c := range r.Crossings {
				fmt.Fprintf(tw, "%d%%\t%s\t%s\t%s … %s\t%s\n", c.Level, capacity.RPS(c.RPS), day(c.Date), day(c.Earliest), day(c.Latest), in(r.Today, c))
			}
			tw.Flush()
		}
	}
	if len(r.Load) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Latency by load (deciles of the minutes with traffic):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DECILE\tRPS\tMINUTES\tP50\tP95\tP99")
		for _, b := range r.Load {
			fmt.Fprintf(tw, "%d\t%s–%s\t%d\t%s\t%s\t%s\n", b.Decile, capacity.RPS(b.FromRPS), capacity.RPS(b.ToRPS), b.Minutes, ms(b.P50), ms(b.P95), ms(b.P99))
		}
		tw.Flush()
		if b := r.Bend; b != nil {
			fmt.Fprintf(w, "latency bends from %s rps (decile %d): p99 %s, %.1f× the quietest tenth's %s\n",
				capacity.RPS(b.RPS), b.Decile, ms(b.P99), b.P99/b.BaseP99, ms(b.BaseP99))
		} else {
			fmt.Fprintf(w, "latency does not bend up to %s rps (no decile's p99 above %.1f× the quietest tenth's)\n",
				capacity.RPS(r.Load[len(r.Load)-1].ToRPS), capacity.BendRatio)
		}
	}
}

// growthPct writes a growth rate with its sign: +10.0%.
func growthPct(v float64) string { return fmt.Sprintf("%+.1f%%", v*100) }

func ms(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0fms", v)
	}
	return fmt.Sprintf("%.1fms", v)
}

func day(t *time.Time) string {
	if t == nil {
		return "not within 2y"
	}
	return t.Format(time.DateOnly)
}

// in says how far off a crossing is.
func in(today time.Time, c capacity.Crossing) string {
	switch {
	case c.Already:
		return "already"
	case c.Date == nil:
		return "-"
	}
	return capacity.Weeks(c.Date.Sub(today))
}

// capacityAlerts measures, for the alert runner, every service with a
// declared capacity and an alert severity; nil when there is none.
func capacityAlerts(cfg *config.Config, src capacity.Source) alert.CapacitySource {
	var svcs []config.Service
	for _, s := range cfg.Services {
		if s.Capacity != nil && s.Capacity.AlertSeverity() != "" {
			svcs = append(svcs, s)
		}
	}
	if len(svcs) == 0 {
		return nil
	}
	return func(ctx context.Context, at time.Time) ([]alert.CapacityMeasure, error) {
		var out []alert.CapacityMeasure
		for _, s := range svcs {
			r, err := capacity.Service(ctx, src, s, at, 0)
			if err != nil {
				return nil, err
			}
			out = append(out, capacityMeasure(s, r))
		}
		return out, nil
	}
}

// capacityMeasure is what the capacity alert of s looks at in r.
func capacityMeasure(s config.Service, r *capacity.Report) alert.CapacityMeasure {
	m := alert.CapacityMeasure{Service: s.Name, Severity: s.Capacity.AlertSeverity(), Within: s.Capacity.Within(),
		Level: capacity.AlertLevel, RPS: s.Capacity.RPS, PeakRPS: r.PeakRPS}
	if r.Trend != nil {
		m.WeeklyGrowth = r.Trend.WeeklyGrowth
	}
	for _, c := range r.Crossings {
		if c.Level == capacity.AlertLevel && c.Date != nil {
			m.Crosses = *c.Date
		}
	}
	return m
}
