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
		return &AlertsData{At: p.at, States: []alert.State{}, Events: []alert.Event{}, Targets: []notify.TargetStats{}}, nil
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
