package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/headroom-slo/headroom/internal/capacity"
)

// CapacityReports gives a service's capacity report as of an instant (a
// *capacity.Cache: the pages refresh every few seconds, a report reads
// weeks of cells).
type CapacityReports interface {
	Service(ctx context.Context, name string, at time.Time) (*capacity.Report, error)
}

// capacityReport returns the capacity report of a service, an unknown one
// being not found.
func (s *Server) capacityReport(ctx context.Context, name string, at time.Time) (*capacity.Report, error) {
	rep, err := s.opts.Capacity.Service(ctx, name, at)
	if errors.Is(err, capacity.ErrUnknownService) {
		return nil, notFound("no service %q", name)
	}
	return rep, err
}

// apiCapacity is GET /api/v1/services/{name}/capacity: the service's daily
// peaks, growth, forecast, crossings and latency by load as of at.
func (s *Server) apiCapacity(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	rep, err := s.capacityReport(r.Context(), r.PathValue("name"), p.at)
	if err != nil {
		return nil, err
	}
	return rep.View(), nil
}

// capacityData is the service page's capacity section, formatted.
type capacityData struct {
	Src               template.URL // the chart's data
	Days              int
	Peak, PeakDate    string // "" without traffic
	Growth, Interval  string // "" without a trend (Why says why)
	Why, Note         string
	Busiest           string
	Capacity          string // "" when not set
	Crossings         []capacityCrossing
	Load              []capacityLoad
	Bend, NoBend      string
	ConfidencePercent string
}

type capacityCrossing struct {
	Level              int
	RPS, Date, In      string
	Earliest, Latest   string
	Already, NotWithin bool
}

type capacityLoad struct {
	Decile        int
	From, To      string
	Minutes       int
	P50, P95, P99 string
	Bends         bool
}

func dayText(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return t.Format(time.DateOnly)
}

// capacitySection returns the capacity section of a service's page, nil
// without capacity reports.
func (s *Server) capacitySection(ctx context.Context, name string, p params) (*capacityData, error) {
	if s.opts.Capacity == nil {
		return nil, nil
	}
	rep, err := s.capacityReport(ctx, name, p.at)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	v.Set("at", p.at.Format(time.RFC3339))
	d := &capacityData{Src: template.URL("/api/v1/services/" + url.PathEscape(name) + "/capacity?" + v.Encode()),
		Days: len(rep.Days), Why: rep.Why, Note: rep.Note}
	if !rep.PeakDate.IsZero() {
		d.Peak, d.PeakDate = capacity.RPS(rep.PeakRPS), rep.PeakDate.Format(time.DateOnly)
	}
	if t := rep.Trend; t != nil {
		d.Growth = fmt.Sprintf("%+.1f%%", t.WeeklyGrowth*100)
		d.Interval = fmt.Sprintf("%+.1f%% … %+.1f%%", t.WeeklyGrowthLow*100, t.WeeklyGrowthHigh*100)
		d.ConfidencePercent = fmt.Sprintf("%.0f%%", t.Confidence*100)
		d.Busiest = rep.Seasonality.Worst.String()
	}
	if rep.CapacityRPS > 0 {
		d.Capacity = capacity.RPS(rep.CapacityRPS)
	}
	for _, c := range rep.Crossings {
		cc := capacityCrossing{Level: c.Level, RPS: capacity.RPS(c.RPS), Date: dayText(c.Date), Earliest: dayText(c.Earliest),
			Latest: dayText(c.Latest), Already: c.Already, NotWithin: c.Date == nil}
		if c.Date != nil && !c.Already {
			cc.In = capacity.Weeks(c.Date.Sub(rep.Today))
		}
		d.Crossings = append(d.Crossings, cc)
	}
	for _, b := range rep.Load {
		d.Load = append(d.Load, capacityLoad{Decile: b.Decile, From: capacity.RPS(b.FromRPS), To: capacity.RPS(b.ToRPS), Minutes: b.Minutes,
			P50: fmtMs(finite(b.P50)), P95: fmtMs(finite(b.P95)), P99: fmtMs(finite(b.P99)), Bends: rep.Bend != nil && rep.Bend.Decile == b.Decile})
	}
	if b := rep.Bend; b != nil {
		d.Bend = fmt.Sprintf("Latency bends from %s rps (decile %d): p99 %s, %.1f× the quietest tenth's %s.",
			capacity.RPS(b.RPS), b.Decile, fmtMs(&b.P99), b.P99/b.BaseP99, fmtMs(&b.BaseP99))
	} else if len(rep.Load) > 0 {
		d.NoBend = fmt.Sprintf("Latency does not bend up to %s rps: no decile's p99 is above %.1f× the quietest tenth's.",
			capacity.RPS(rep.Load[len(rep.Load)-1].ToRPS), capacity.BendRatio)
	}
	return d, nil
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}
