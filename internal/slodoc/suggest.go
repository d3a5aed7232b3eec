package slodoc

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/suggest"
)

// SuggestFacts are `headroom suggest`'s findings for the SLO's service, the
// rationale's second half: how the SLO's own objective fared against the
// history (availability), and what suggest recommends for the SLO's kind.
type SuggestFacts struct {
	// Window is the length of the windows suggest tried: the SLO's when
	// it is a rolling window of whole days, else 28d.
	Window time.Duration
	// Own is the candidate of the SLO's objective (availability SLOs;
	// suggest counts 5xx as bad): windows met, pages and tickets.
	Own *suggest.Candidate
	// Recommended is suggest's recommendation of the SLO's kind; nil when
	// it recommends none.
	Recommended *suggest.SuggestedSLO
	// Best is the candidate Recommended comes from.
	Best *suggest.Candidate
}

// suggest runs suggest over the SLO's service, for availability and
// latency SLOs of logs, once the history holds a complete window.
func (d *Document) suggest(ctx context.Context, in Inputs) (*SuggestFacts, error) {
	o := d.SLO
	if o.SLI.Type != config.Availability && o.SLI.Type != config.Latency || d.Service.RUM != nil {
		return nil, nil
	}
	src, ok := in.Store.(suggest.Source)
	if !ok {
		return nil, nil
	}
	window := 28 * 24 * time.Hour
	if w := o.Window.Window(); w.Kind == slo.Rolling && w.Duration%(24*time.Hour) == 0 {
		window = w.Duration
	}
	first, ok, err := d.firstStored(ctx, in.Store)
	if err != nil || !ok {
		return nil, err
	}
	// A complete window ends at a UTC midnight after a whole window of
	// history: before that suggest has nothing to say.
	if d.At.Truncate(24*time.Hour).Sub(first) < window {
		return nil, nil
	}
	objectives := slices.Clone(suggest.DefaultObjectives)
	if o.SLI.Type == config.Availability && !slices.Contains(objectives, o.Objective) {
		objectives = append(objectives, o.Objective)
		slices.Sort(objectives)
	}
	res, err := suggest.Run(ctx, src, suggest.Options{Config: in.Config, Service: o.Service, To: d.At, Window: window, Objectives: objectives})
	if err != nil {
		return nil, err
	}
	f := &SuggestFacts{Window: window}
	for i := range res.Candidates {
		c := &res.Candidates[i]
		if o.SLI.Type == config.Availability && c.Type == config.Availability && c.Objective == o.Objective {
			f.Own = c
		}
	}
	for i := range res.Recommended {
		r := &res.Recommended[i]
		if r.SLI.Type != o.SLI.Type {
			continue
		}
		f.Recommended = r
		for j := range res.Candidates {
			c := &res.Candidates[j]
			if c.Type == r.SLI.Type && c.Objective == r.Objective && (c.Type != config.Latency || formatMs(c.ThresholdMs) == r.SLI.Threshold) {
				f.Best = c
			}
		}
	}
	return f, nil
}

// formatMs writes a threshold as suggest's YAML does ("300ms").
func formatMs(ms uint32) string { return fmt.Sprintf("%dms", ms) }
