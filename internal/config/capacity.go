package config

import (
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
)

// ServiceCapacity is the request rate a service was shown to take (by a
// load test, say): `headroom capacity` forecasts when the daily peak
// reaches 80% and 100% of it, and `serve` raises an alert when the 80%
// crossing comes within AlertWithin.
type ServiceCapacity struct {
	RPS float64 `yaml:"rps"`
	// AlertWithin is how close the 80% crossing must be for the alert
	// (default 8w).
	AlertWithin Duration `yaml:"alert_within"`
	// Severity of the alert: ticket (default), page, or none.
	Severity string `yaml:"severity"`
}

// DefaultCapacityAlertWithin is capacity.alert_within's default.
const DefaultCapacityAlertWithin = 8 * 7 * 24 * time.Hour

// Within returns alert_within, or its default.
func (c *ServiceCapacity) Within() time.Duration {
	if c.AlertWithin > 0 {
		return time.Duration(c.AlertWithin)
	}
	return DefaultCapacityAlertWithin
}

// AlertSeverity returns the alert's severity ("" for none).
func (c *ServiceCapacity) AlertSeverity() string {
	switch c.Severity {
	case "":
		return "ticket"
	case "none":
		return ""
	}
	return c.Severity
}

// capacity checks services[i].capacity.
func (v *validator) capacity(p string, s Service) {
	c := s.Capacity
	if c == nil {
		return
	}
	p += ".capacity"
	if c.RPS <= 0 {
		v.add(p+".rps", "%v: want the requests per second the service was shown to take, above 0 (like 800)", c.RPS)
	}
	if w := time.Duration(c.AlertWithin); w < 0 || w > 0 && w < 24*time.Hour || w > 2*366*24*time.Hour {
		v.add(p+".alert_within", "%s: want 1d to 2y (like 8w)", slo.FormatDuration(w))
	}
	switch c.Severity {
	case "", "ticket", "page", "none":
	default:
		v.add(p+".severity", "%q: want ticket, page or none", c.Severity)
	}
	if len(s.Logs) == 0 && s.RUM != nil && v.c.Server.Push == nil {
		v.add(p, "capacity counts the service's Nginx requests, and it has no logs (only a rum block)")
	}
}
