package notify

import (
	"encoding/json"
	"time"
)

// amAlert is an alert as Alertmanager's API v2 takes it (POST
// /api/v2/alerts takes an array of them).
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// alertmanagerBody encodes alerts for Alertmanager. A firing alert ends
// after hold unless sent again; a resolved one at its EndsAt (now if
// unset), which is what resolves it.
func alertmanagerBody(alerts []Alert, now time.Time, hold time.Duration) ([]byte, error) {
	out := make([]amAlert, 0, len(alerts))
	for i := range alerts {
		out = append(out, toAlertmanager(&alerts[i], now, hold))
	}
	return json.Marshal(out)
}

func toAlertmanager(a *Alert, now time.Time, hold time.Duration) amAlert {
	// The alert's own labels first, so that the ones Alertmanager routes
	// and groups by cannot be overwritten.
	labels := map[string]string{}
	for k, v := range a.Labels {
		set(labels, k, v)
	}
	set(labels, "alertname", a.Name)
	set(labels, "slo", a.SLO)
	set(labels, "service", a.Service)
	set(labels, "severity", a.Severity)
	set(labels, "tier", a.Tier)

	ann := map[string]string{}
	set(ann, "summary", a.Summary)
	set(ann, "description", a.Description)
	set(ann, "dashboard", a.DashboardURL)
	set(ann, "runbook", a.RunbookURL)
	set(ann, "burn_rates", burnText(a.BurnRates))
	set(ann, "top_routes", countsText(a.TopRoutes))
	set(ann, "top_statuses", countsText(a.TopStatuses))

	end := now.Add(hold)
	if a.State == Resolved {
		end = a.EndsAt
		if end.IsZero() {
			end = now
		}
	}
	return amAlert{Labels: labels, Annotations: ann, StartsAt: a.StartsAt.UTC(), EndsAt: end.UTC(), GeneratorURL: a.DashboardURL}
}

// set sets m[k] = v unless v is empty (Alertmanager treats an empty label
// as absent).
func set(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}
