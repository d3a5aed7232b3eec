package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// WebhookVersion is the version of the webhook payload.
const WebhookVersion = "1"

// webhookPayload is what a webhook receives: {"version":"1","alert":{…}}.
type webhookPayload struct {
	Version string               `json:"version"`
	Alert   alertJSON[jsonFloat] `json:"alert"`
}

// alertJSON is Alert in snake_case, its numbers of type F: a webhook's
// alert (jsonFloat: numbers that are not finite, a burn rate without
// traffic, are null) and a queued note (number: exact). ends_at is absent
// while firing.
type alertJSON[F ~float64] struct {
	Fingerprint     string            `json:"fingerprint"`
	Name            string            `json:"name"`
	SLO             string            `json:"slo"`
	Service         string            `json:"service"`
	Severity        string            `json:"severity"`
	Tier            string            `json:"tier"`
	State           string            `json:"state"`
	StartsAt        time.Time         `json:"starts_at,omitzero"`
	EndsAt          time.Time         `json:"ends_at,omitzero"`
	Labels          map[string]string `json:"labels"`
	Summary         string            `json:"summary"`
	Description     string            `json:"description"`
	BurnRates       map[string]F      `json:"burn_rates"`
	Thresholds      map[string]F      `json:"thresholds"`
	BudgetRemaining F                 `json:"budget_remaining"`
	Objective       F                 `json:"objective"`
	Window          string            `json:"window"`
	TopRoutes       []countJSON[F]    `json:"top_routes"`
	TopStatuses     []countJSON[F]    `json:"top_statuses"`
	DashboardURL    string            `json:"dashboard_url"`
	RunbookURL      string            `json:"runbook_url"`
}

type countJSON[F ~float64] struct {
	Key string `json:"key"`
	Bad F      `json:"bad"`
}

// toJSON returns a as alertJSON; maps and lists are never nil, so that
// JSON shows them empty rather than null.
func toJSON[F ~float64](a *Alert) alertJSON[F] {
	j := alertJSON[F]{
		Fingerprint: a.Fingerprint, Name: a.Name, SLO: a.SLO, Service: a.Service, Severity: a.Severity,
		Tier: a.Tier, State: a.State, StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(),
		Labels: a.Labels, Summary: a.Summary, Description: a.Description,
		BurnRates: floats[F](a.BurnRates), Thresholds: floats[F](a.Thresholds),
		BudgetRemaining: F(a.BudgetRemaining), Objective: F(a.Objective), Window: a.Window,
		TopRoutes: counts[F](a.TopRoutes), TopStatuses: counts[F](a.TopStatuses),
		DashboardURL: a.DashboardURL, RunbookURL: a.RunbookURL,
	}
	if j.Labels == nil {
		j.Labels = map[string]string{}
	}
	return j
}

// alert returns the Alert j encodes.
func (j *alertJSON[F]) alert() Alert {
	a := Alert{
		Fingerprint: j.Fingerprint, Name: j.Name, SLO: j.SLO, Service: j.Service, Severity: j.Severity,
		Tier: j.Tier, State: j.State, StartsAt: j.StartsAt, EndsAt: j.EndsAt,
		Labels: j.Labels, Summary: j.Summary, Description: j.Description,
		BurnRates: floats[float64](j.BurnRates), Thresholds: floats[float64](j.Thresholds),
		BudgetRemaining: float64(j.BudgetRemaining), Objective: float64(j.Objective), Window: j.Window,
		DashboardURL: j.DashboardURL, RunbookURL: j.RunbookURL,
	}
	for _, c := range j.TopRoutes {
		a.TopRoutes = append(a.TopRoutes, Count{Key: c.Key, Bad: float64(c.Bad)})
	}
	for _, c := range j.TopStatuses {
		a.TopStatuses = append(a.TopStatuses, Count{Key: c.Key, Bad: float64(c.Bad)})
	}
	return a
}

// jsonFloat is a float64 that encodes NaN and ±Inf as null, which JSON
// has no numbers for.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// webhookBody encodes a for a webhook.
func webhookBody(a *Alert) ([]byte, error) {
	return json.Marshal(webhookPayload{Version: WebhookVersion, Alert: toJSON[jsonFloat](a)})
}

func floats[To, From ~float64](m map[string]From) map[string]To {
	out := make(map[string]To, len(m))
	for k, v := range m {
		out[k] = To(v)
	}
	return out
}

func counts[F ~float64](cs []Count) []countJSON[F] {
	out := make([]countJSON[F], len(cs))
	for i, c := range cs {
		out[i] = countJSON[F]{Key: c.Key, Bad: F(c.Bad)}
	}
	return out
}

// Sign returns the X-Headroom-Signature of a webhook request:
// "sha256=" and the hex HMAC-SHA256, keyed with secret, of the
// X-Headroom-Timestamp (Unix seconds), a dot and the body.
func Sign(secret string, timestamp int64, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

// Verify reports whether signature is Sign(secret, timestamp, body),
// comparing in constant time. An empty secret verifies nothing. Receivers
// should also reject timestamps far from their clock, to refuse replays.
func Verify(secret string, timestamp int64, body []byte, signature string) bool {
	const prefix = "sha256="
	if secret == "" || len(signature) <= len(prefix) || signature[:len(prefix)] != prefix {
		return false
	}
	got, err := hex.DecodeString(signature[len(prefix):])
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(secret, timestamp, body))
}

func mac(secret string, timestamp int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(strconv.AppendInt(nil, timestamp, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
