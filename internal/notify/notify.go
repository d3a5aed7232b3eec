// Package notify delivers alerts to where people look: Prometheus
// Alertmanager (v2 API), Slack incoming webhooks and generic JSON webhooks
// signed with HMAC-SHA256. Each target has a bounded queue, retries with
// exponential backoff and a delivery log; an unreachable target delays
// delivery and loses nothing within the queue bound (drops are counted).
package notify

import "time"

// Alert is one alert as the notifiers send it: a state change (firing or
// resolved) of one alert of one SLO.
type Alert struct {
	// Fingerprint identifies the alert across its life (SLO + kind + tier);
	// Alertmanager groups and deduplicates by labels, the others by this.
	Fingerprint string
	Name        string // alertname: SLOBurnRate, SLOBudgetExhausted, SLONoData
	SLO         string
	Service     string
	Severity    string // page or ticket
	Tier        string // page-1h, ticket-3d, …; empty for other kinds
	State       string // firing or resolved
	StartsAt    time.Time
	EndsAt      time.Time // when it resolved; zero while firing
	Labels      map[string]string
	Summary     string // one line
	Description string
	// What the alert saw when it changed state.
	BurnRates       map[string]float64 // by window: "1h", "5m", …
	Thresholds      map[string]float64 // the tier's burn-rate threshold by window
	BudgetRemaining float64            // share of the window's budget left: 1 all, < 0 overspent
	Objective       float64            // percent
	Window          string             // the SLO's window: "30d"
	// Where the budget is going: the top routes and statuses by bad events
	// over the tier's long window.
	TopRoutes    []Count
	TopStatuses  []Count
	DashboardURL string // the SLO page, from server.external_url
	RunbookURL   string
}

// Count is a group's bad events.
type Count struct {
	Key string  `json:"key"`
	Bad float64 `json:"bad"`
}

// States of an alert, as sent.
const (
	Firing   = "firing"
	Resolved = "resolved"
)
