package notify

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSlackGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		alert Alert
	}{
		{"slack_firing.json", sample()},
		{"slack_resolved.json", resolvedSample()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := slackBody(&tc.alert)
			if err != nil {
				t.Fatal(err)
			}
			// Deterministic: maps are iterated in a random order each time.
			for range 20 {
				again, err := slackBody(&tc.alert)
				if err != nil || string(again) != string(body) {
					t.Fatalf("not deterministic:\n%s\n%s", body, again)
				}
			}
			golden(t, tc.file, body)
		})
	}
}

func TestWebhookGolden(t *testing.T) {
	a := sample()
	body, err := webhookBody(&a)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook_firing.json", body)
}

func TestWebhookNotFinite(t *testing.T) {
	a := Alert{Name: "SLONoData", State: Firing, BurnRates: map[string]float64{"1h": math.NaN(), "5m": math.Inf(1)},
		BudgetRemaining: math.NaN()}
	body, err := webhookBody(&a)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Alert map[string]any `json:"alert"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"1h": nil, "5m": nil}
	if diff := cmp.Diff(want, got.Alert["burn_rates"]); diff != "" {
		t.Errorf("burn_rates (-want +got):\n%s", diff)
	}
	if v, ok := got.Alert["budget_remaining"]; !ok || v != nil {
		t.Errorf("budget_remaining = %v, %v; want null", v, ok)
	}
	if _, ok := got.Alert["ends_at"]; ok {
		t.Error("ends_at present while firing")
	}
	for _, k := range []string{"labels", "thresholds", "top_routes", "top_statuses"} {
		if got.Alert[k] == nil {
			t.Errorf("%s is null, want empty", k)
		}
	}
}

func TestSlackDelivered(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	d := newDispatcher(t, []Target{{Name: "slack", Type: TypeSlack, URL: rec.srv.URL + "/services/T0/B0/secret"}}, fastOptions(log))
	start(t, d)
	a := sample()
	d.Send(a)
	log.waitOK(t, 1)
	want, err := slackBody(&a)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || string(reqs[0].Body) != string(want) || reqs[0].Path != "/services/T0/B0/secret" {
		t.Fatalf("got %+v, want one request with %s", reqs, want)
	}
	if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// amAlertIn is an alert as a fake Alertmanager decodes it.
type amAlertIn struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

func decodeAM(t *testing.T, r request) []amAlertIn {
	t.Helper()
	if r.Path != "/am/api/v2/alerts" {
		t.Errorf("path %q, want /am/api/v2/alerts", r.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var out []amAlertIn
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return out
}

func TestAlertmanagerPayload(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	// A base URL with a path and a trailing slash, as behind a proxy.
	d := newDispatcher(t, []Target{{Name: "am", Type: TypeAlertmanager, URL: rec.srv.URL + "/am/"}}, fastOptions(log))
	start(t, d)
	d.Send(sample())
	d.Send(resolvedSample())
	log.waitOK(t, 2)
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	dash := "https://headroom.example.com/slo/checkout-availability"
	labels := map[string]string{"alertname": "SLOBurnRate", "slo": "checkout-availability", "service": "checkout",
		"severity": "page", "tier": "page-1h", "team": "payments"}
	want := []amAlertIn{{
		Labels: labels,
		Annotations: map[string]string{
			"summary":      "checkout-availability is burning its error budget 15× too fast",
			"description":  "1.5% of requests failed over the last hour (objective 99.9% <= 30d) & rising",
			"dashboard":    dash,
			"runbook":      "https://wiki.example.com/runbooks/checkout?x=1&y=2",
			"burn_rates":   "1h=15.2 5m=20.1",
			"top_routes":   "POST /api/checkout (120), GET /api/cart (30.5)",
			"top_statuses": "503 (100), 500 (50.5)",
		},
		StartsAt:     now.Add(-3 * time.Minute),
		EndsAt:       now.Add(2 * time.Minute), // 4 × ResendEvery (30 s)
		GeneratorURL: dash,
	}}
	if diff := cmp.Diff(want, decodeAM(t, reqs[0])); diff != "" {
		t.Errorf("firing (-want +got):\n%s", diff)
	}
	want[0].Annotations = map[string]string{
		"summary":      "checkout-availability is no longer burning fast",
		"dashboard":    dash,
		"burn_rates":   "1h=9.87 5m=0.40",
		"top_routes":   "POST /api/checkout (120), GET /api/cart (30.5)",
		"top_statuses": "503 (100), 500 (50.5)",
	}
	want[0].EndsAt = now.Add(-30 * time.Second)
	if diff := cmp.Diff(want, decodeAM(t, reqs[1])); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
}

func TestAlertmanagerEmptyFields(t *testing.T) {
	// A no-data alert: no tier, burn rates or groups; a resolved one
	// without EndsAt ends now.
	a := Alert{Name: "SLONoData", SLO: "s", Service: "svc", Severity: "ticket", State: Resolved, StartsAt: now.Add(-time.Hour)}
	body, err := alertmanagerBody([]Alert{a}, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"labels":{"alertname":"SLONoData","service":"svc","severity":"ticket","slo":"s"},"annotations":{},` +
		`"startsAt":"2026-03-01T11:00:00Z","endsAt":"2026-03-01T12:00:00Z"}]`
	if string(body) != want {
		t.Errorf("got  %s\nwant %s", body, want)
	}
}

func TestWebhookSignature(t *testing.T) {
	for _, tc := range []struct {
		name, secret string
		signed       bool
	}{
		{"signed", "s3cret", true},
		{"unsigned", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type check struct {
				hasSig, valid, tampered, stale bool
				ts                             int64
			}
			checks := make(chan check, 10)
			srv := newRecorder(t)
			srv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b := readBody(r)
				ts, err := strconv.ParseInt(r.Header.Get("X-Headroom-Timestamp"), 10, 64)
				if err != nil {
					http.Error(w, "bad timestamp", http.StatusBadRequest)
				}
				sig := r.Header.Get("X-Headroom-Signature")
				tampered := append([]byte(nil), b...)
				tampered[len(tampered)-2] ^= 1
				checks <- check{hasSig: sig != "", valid: Verify("s3cret", ts, b, sig),
					tampered: Verify("s3cret", ts, tampered, sig), stale: Verify("s3cret", ts-1, b, sig), ts: ts}
			})
			log := newChanLog()
			d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: srv.srv.URL, Secret: tc.secret}}, fastOptions(log))
			start(t, d)
			d.Send(sample())
			log.waitOK(t, 1)
			got := <-checks
			want := check{hasSig: tc.signed, valid: tc.signed, ts: now.Unix()}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	body := []byte(`{"version":"1"}`)
	sig := Sign("key", 1700000000, body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Fatalf("Sign = %q", sig)
	}
	for _, tc := range []struct {
		name   string
		secret string
		ts     int64
		body   string
		sig    string
		want   bool
	}{
		{"good", "key", 1700000000, `{"version":"1"}`, sig, true},
		{"tampered body", "key", 1700000000, `{"version":"2"}`, sig, false},
		{"other timestamp", "key", 1700000001, `{"version":"1"}`, sig, false},
		{"other secret", "yek", 1700000000, `{"version":"1"}`, sig, false},
		{"empty secret", "", 1700000000, `{"version":"1"}`, Sign("", 1700000000, body), false},
		{"no prefix", "key", 1700000000, `{"version":"1"}`, strings.TrimPrefix(sig, "sha256="), false},
		{"not hex", "key", 1700000000, `{"version":"1"}`, "sha256=zz", false},
		{"truncated", "key", 1700000000, `{"version":"1"}`, sig[:len(sig)-2], false},
		{"empty", "key", 1700000000, `{"version":"1"}`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verify(tc.secret, tc.ts, []byte(tc.body), tc.sig); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	if got, want := burnText(map[string]float64{"5m": 20.08, "3d": 1, "1h": 15.24, "30m": 150.4, "x": 0.5}),
		"3d=1.00 1h=15.2 30m=150 5m=20.1 x=0.50"; got != want {
		t.Errorf("burnText = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		share float64
		want  string
	}{{1, "100%"}, {0.4234, "42.3%"}, {-0.12, "-12%"}, {0, "0%"}, {math.NaN(), "n/a"}} {
		if got := budgetText(tc.share); got != tc.want {
			t.Errorf("budgetText(%v) = %q, want %q", tc.share, got, tc.want)
		}
	}
	if got := truncate("ééééé", 3); got != "éé…" {
		t.Errorf("truncate = %q", got)
	}
}
