package server

import (
	"context"
	"net/http"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/notify"
)

// AlertsData is what /api/v1/alerts and the alerts page show: every alert's
// state, most urgent first, the changes in a range, newest first, and the
// notify targets.
type AlertsData struct {
	At      time.Time            `json:"at"`
	States  []alert.State        `json:"states"`
	Events  []alert.Event        `json:"events"`
	Targets []notify.TargetStats `json:"targets"`
}

// AlertsFunc returns the alerts as of at, with the changes in [from, to).
type AlertsFunc func(ctx context.Context, at, from, to time.Time) (*AlertsData, error)

func (s *Server) apiAlerts(r *http.Request) (any, error) {
	_, d, err := s.alerts(r)
	return d, err
}

// alerts is what the alerts endpoint and page show, over a week by default.
func (s *Server) alerts(r *http.Request) (params, *AlertsData, error) {
	p, err := parseParams(r, s.now(), 7*24*time.Hour)
	if err != nil {
		return p, nil, err
	}
	if s.opts.Alerts == nil {
		return p, &AlertsData{At: p.at, States: []alert.State{}, Events: []alert.Event{}, Targets: []notify.TargetStats{}}, nil
	}
	d, err := s.opts.Alerts(r.Context(), p.at, p.from, p.to)
	return p, d, err
}

func (s *Server) pageAlerts(r *http.Request) (*view, error) {
	p, d, err := s.alerts(r)
	if err != nil {
		return nil, err
	}
	pg := s.newPage(r, "Alerts", p)
	pg.Data = d
	return &view{"alerts", pg}, nil
}
