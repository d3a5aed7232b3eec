package server

import (
	"context"
	"net/http"
	"time"

	"github.com/headroom-slo/headroom/internal/notify"
	"github.com/headroom-slo/headroom/internal/report"
)

// AlertsData is what /api/v1/alerts and the alerts page show: every alert's
// state, the changes in a range, newest first, and the notify targets.
type AlertsData struct {
	At      time.Time            `json:"at"`
	States  []report.AlertState  `json:"states"`
	Events  []AlertEvent         `json:"events"`
	Targets []notify.TargetStats `json:"targets"`
}

// AlertEvent is one change of an alert's phase.
type AlertEvent struct {
	At       time.Time `json:"at"`
	Key      string    `json:"key"`
	Kind     string    `json:"kind"`
	SLO      string    `json:"slo,omitempty"`
	Service  string    `json:"service"`
	Tier     string    `json:"tier,omitempty"`
	Severity string    `json:"severity"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Summary  string    `json:"summary"`
}

// AlertsFunc returns the alerts as of at, with the changes in [from, to).
type AlertsFunc func(ctx context.Context, at, from, to time.Time) (*AlertsData, error)

func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 7*24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.alerts(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) alerts(ctx context.Context, p params) (*AlertsData, error) {
	if s.opts.Alerts == nil {
		return &AlertsData{At: p.at, States: []report.AlertState{}, Events: []AlertEvent{}, Targets: []notify.TargetStats{}}, nil
	}
	return s.opts.Alerts(ctx, p.at, p.from, p.to)
}

func (s *Server) pageAlerts(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 7*24*time.Hour)
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	d, err := s.alerts(r.Context(), p)
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	pg := s.newPage(r, "Alerts", p)
	pg.Data = d
	s.pages.render(w, r, http.StatusOK, "alerts", pg)
}
