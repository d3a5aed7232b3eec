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
	Version string       `json:"version"`
	Alert   webhookAlert `json:"alert"`
}

// webhookAlert is Alert in snake_case. Numbers that are not finite (a burn
// rate without traffic) are null; ends_at is absent while firing.
type webhookAlert struct {
	Fingerprint     string               `json:"fingerprint"`
	Name            string               `json:"name"`
	SLO             string               `json:"slo"`
	Service         string               `json:"service"`
	Severity        string               `json:"severity"`
	Tier            string               `json:"tier"`
	State           string               `json:"state"`
	StartsAt        time.Time            `json:"starts_at,omitzero"`
	EndsAt          time.Time            `json:"ends_at,omitzero"`
	Labels          map[string]string    `json:"labels"`
	Summary         string               `json:"summary"`
	Description     string               `json:"description"`
	BurnRates       map[string]jsonFloat `json:"burn_rates"`
	Thresholds      map[string]jsonFloat `json:"thresholds"`
	BudgetRemaining jsonFloat            `json:"budget_remaining"`
	Objective       jsonFloat            `json:"objective"`
	Window          string               `json:"window"`
	TopRoutes       []webhookCount       `json:"top_routes"`
	TopStatuses     []webhookCount       `json:"top_statuses"`
	DashboardURL    string               `json:"dashboard_url"`
	RunbookURL      string               `json:"runbook_url"`
}

type webhookCount struct {
	Key string    `json:"key"`
	Bad jsonFloat `json:"bad"`
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
	w := webhookAlert{
		Fingerprint: a.Fingerprint, Name: a.Name, SLO: a.SLO, Service: a.Service, Severity: a.Severity,
		Tier: a.Tier, State: a.State, StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(),
		Labels: a.Labels, Summary: a.Summary, Description: a.Description,
		BurnRates: floats(a.BurnRates), Thresholds: floats(a.Thresholds),
		BudgetRemaining: jsonFloat(a.BudgetRemaining), Objective: jsonFloat(a.Objective), Window: a.Window,
		TopRoutes: counts(a.TopRoutes), TopStatuses: counts(a.TopStatuses),
		DashboardURL: a.DashboardURL, RunbookURL: a.RunbookURL,
	}
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	return json.Marshal(webhookPayload{Version: WebhookVersion, Alert: w})
}

func floats(m map[string]float64) map[string]jsonFloat {
	out := make(map[string]jsonFloat, len(m))
	for k, v := range m {
		out[k] = jsonFloat(v)
	}
	return out
}

func counts(cs []Count) []webhookCount {
	out := make([]webhookCount, len(cs))
	for i, c := range cs {
		out[i] = webhookCount{Key: c.Key, Bad: jsonFloat(c.Bad)}
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
