package suggest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
)

// candidates fills the candidates: the windows each met, the budget each
// window spent, and the alerts each would have fired.
func (a *analysis) candidates(ctx context.Context, res *Result) error {
	var cands []Candidate
	add := func(c Candidate, counts func(i int) slo.Counts) {
		c.Windows = len(res.Windows)
		c.Missed = []time.Time{}
		for i, w := range res.Windows {
			cs := counts(i)
			spent := slo.BurnRate(cs, c.Objective/100)
			c.BudgetSpent = append(c.BudgetSpent, math.Round(spent*1e4)/1e4)
			if slo.BudgetRemaining(cs, c.Objective/100) >= 0 {
				c.Met++
			} else {
				c.Missed = append(c.Missed, w.End)
			}
		}
		cands = append(cands, c)
	}
	for _, o := range a.opt.Objectives {
		add(Candidate{Type: config.Availability, Objective: o}, func(i int) slo.Counts {
			w := res.Windows[i]
			return slo.Counts{Total: w.Requests, Good: w.Requests - w.Bad}
		})
	}
	for k, t := range a.thr {
		for _, o := range a.opt.LatencyObjectives {
			add(Candidate{Type: config.Latency, Objective: o, ThresholdMs: t.Ms}, func(i int) slo.Counts {
				var c slo.Counts
				for d := i; d < i+a.wdays; d++ {
					c.Total += a.dayTimed[d]
					c.Good += a.dayFast[k][d]
				}
				return c
			})
		}
	}
	if err := a.backtest(ctx, res, cands); err != nil {
		return err
	}
	// Pages per window length of the backtest's history.
	span := res.Backtest.To.Sub(res.Backtest.From)
	for i := range cands {
		c := &cands[i]
		pagesPer := 0.0
		if span > 0 {
			pagesPer = float64(c.Pages) * float64(a.opt.Window) / float64(span)
		}
		c.Qualifies = c.Windows > 0 && float64(c.Met) >= MetShare*float64(c.Windows) && pagesPer <= MaxPagesPerWindow
	}
	res.Candidates = cands
	return nil
}

// pick returns the recommended candidate of a type: the highest objective
// that qualifies, then the lowest threshold; nil when none does.
func pick(cands []Candidate, typ string) *Candidate {
	var best *Candidate
	for i := range cands {
		c := &cands[i]
		if c.Type != typ || !c.Qualifies {
			continue
		}
		if best == nil || c.Objective > best.Objective || (c.Objective == best.Objective && c.ThresholdMs < best.ThresholdMs) {
			best = c
		}
	}
	return best
}

// recommend picks the objectives, says why, and writes them as YAML,
// which it checks with the config's own loader.
func (a *analysis) recommend(res *Result) error {
	taken := map[string]bool{}
	if a.opt.Config != nil {
		for _, s := range a.opt.Config.SLOs {
			taken[s.Name] = true
		}
	}
	name := func(kind string) string {
		n := a.opt.Service + "-" + kind
		for i := 2; taken[n]; i++ {
			n = fmt.Sprintf("%s-%s-%d", a.opt.Service, kind, i)
		}
		taken[n] = true
		return n
	}
	span := fmt.Sprintf("%s to %s", res.Windows[0].Start.Format("2006-01-02"), res.Windows[len(res.Windows)-1].End.Format("2006-01-02"))
	for _, typ := range []string{config.Availability, config.Latency} {
		best := pick(res.Candidates, typ)
		res.Reasons = append(res.Reasons, a.reason(res, typ, best))
		if best == nil {
			continue
		}
		s := SuggestedSLO{Name: name(typ), Service: a.opt.Service, Objective: best.Objective, Window: res.Window,
			SLI: SuggestedSLI{Type: typ},
			Description: fmt.Sprintf("suggested by headroom suggest: met in %d of %d %s windows (%s), %d page%s, %d ticket%s",
				best.Met, best.Windows, res.Window, span, best.Pages, plural(best.Pages), best.Tickets, plural(best.Tickets))}
		if typ == config.Latency {
			s.SLI.Threshold = fmt.Sprintf("%dms", best.ThresholdMs)
		}
		res.Recommended = append(res.Recommended, s)
	}
	res.YAML = YAML(res.Recommended)
	if len(res.Recommended) == 0 {
		return nil
	}
	// The block must load as it is printed.
	doc := fmt.Sprintf("services: [{name: %q, logs: [{path: /dev/null}]}]\n%s", a.opt.Service, res.YAML)
	if _, err := config.Parse([]byte(doc), "suggested"); err != nil {
		return fmt.Errorf("the suggested slos do not validate (a bug): %w", err)
	}
	return nil
}

// YAML writes SLOs as a `slos:` block of a config.
func YAML(slos []SuggestedSLO) string {
	if len(slos) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("slos:\n")
	for _, s := range slos {
		fmt.Fprintf(&b, "  - name: %s\n    service: %s\n    description: %q\n    objective: %s\n    window: %s\n",
			yamlString(s.Name), yamlString(s.Service), s.Description, fmtObjective(s.Objective), s.Window)
		if s.SLI.Threshold != "" {
			fmt.Fprintf(&b, "    sli: {type: %s, threshold: %s}\n", s.SLI.Type, s.SLI.Threshold)
		} else {
			fmt.Fprintf(&b, "    sli: {type: %s}\n", s.SLI.Type)
		}
	}
	return b.String()
}

// yamlString quotes s unless it is a plain word (names are letters,
// digits, '.', '_' and '-').
func yamlString(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) && !slices.Contains([]string{"true", "false", "null", "yes", "no", "on", "off"}, strings.ToLower(s)) {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// reason says in plain words why a type's objective was picked (or why
// none was).
func (a *analysis) reason(res *Result, typ string, best *Candidate) string {
	var b strings.Builder
	var next *Candidate // the next stricter candidate of the same threshold
	for i := range res.Candidates {
		c := &res.Candidates[i]
		if best != nil && c.Type == typ && c.ThresholdMs == best.ThresholdMs && c.Objective > best.Objective &&
			(next == nil || c.Objective < next.Objective) {
			next = c
		}
	}
	switch {
	case best == nil:
		var top *Candidate
		for i := range res.Candidates {
			c := &res.Candidates[i]
			if c.Type == typ && (top == nil || c.Met > top.Met || (c.Met == top.Met && c.Pages < top.Pages)) {
				top = c
			}
		}
		if top == nil {
			return fmt.Sprintf("%s: no requests with a latency: nothing to suggest.", typ)
		}
		fmt.Fprintf(&b, "%s: no candidate passes the rule; the best, %s, was met in %d of %d windows and %s. Fix the worst windows' causes first, or choose a lower objective by hand.",
			typ, describe(top), top.Met, top.Windows, paged(top.Pages))
		return b.String()
	}
	fmt.Fprintf(&b, "%s: %s was met in %d of %d %s windows, %s and opened %d ticket%s",
		typ, describe(best), best.Met, best.Windows, res.Window, paged(best.Pages), best.Tickets, plural(best.Tickets))
	if next != nil {
		if float64(next.Met) < MetShare*float64(next.Windows) {
			fmt.Fprintf(&b, "; %s was met in only %d of %d", describe(next), next.Met, next.Windows)
		} else {
			fmt.Fprintf(&b, "; %s %s", describe(next), paged(next.Pages))
		}
	}
	b.WriteString(".")
	return b.String()
}

// describe names a candidate: "99.9%" or "99% within 300 ms".
func describe(c *Candidate) string {
	if c.Type == config.Latency {
		return fmt.Sprintf("%s%% within %d ms", fmtObjective(c.Objective), c.ThresholdMs)
	}
	return fmtObjective(c.Objective) + "%"
}

// paged says how many pages would have fired.
func paged(n int) string {
	switch n {
	case 0:
		return "would not have paged"
	case 1:
		return "would have paged once"
	}
	return fmt.Sprintf("would have paged %d times", n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
