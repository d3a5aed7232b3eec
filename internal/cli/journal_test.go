package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/server"
)

// TestPolicyCheckAndEndpointFlip: `policy check` and GET /api/v1/policy say
// ok while the budget holds, and freeze (exit 1) once it is spent; events
// and toil recorded on the command line show in the review.
func TestPolicyCheckAndEndpointFlip(t *testing.T) {
	cfg := headroomtest.Config(t, `
storage: {retention: {minutes: forever}}
sprints: {start: 2025-03-03, length: 14d, timezone: Asia/Tokyo, capacity: {people: 2, hours: 4, spare: 25}}
policy:
  - {below: 25, action: reliability work first}
  - {below: 0, action: feature freeze except fixes, freeze: true}
services: [{name: web, logs: [{path: /dev/null}]}]
slos:
  - {name: avail, service: web, objective: 99, window: 7d, sli: {type: availability}}
`)
	cfgPath, dir := cfg.Path, filepath.Dir(cfg.Path)
	// The test's handle on the store; the commands open their own.
	st := headroomtest.Store(t, cfg.Storage.Dir)
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	write := func(from time.Time, bad int) {
		headroomtest.Traffic(t, st, "web", from, 1440, 100, func(time.Time) int { return bad })
	}
	endpoint := func(at time.Time) string {
		eng := headroomtest.Engine(t, cfg, st)
		s, err := server.New(server.Options{Listen: "127.0.0.1:0", Engine: eng, Journal: st,
			Reviews: reviews{cfg: cfg, eng: eng, st: st}, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/policy?service=web", nil))
		var p struct{ Status string }
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 200 {
			t.Fatalf("GET /api/v1/policy: %d %s", rec.Code, rec.Body)
		}
		// The SLO page says the same.
		page := httptest.NewRecorder()
		s.Handler().ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/slo/avail", nil))
		frozen := strings.Contains(page.Body.String(), "deploys are frozen")
		if frozen != (p.Status == "freeze") {
			t.Errorf("the SLO page says frozen=%v, the policy %s", frozen, p.Status)
		}
		return p.Status
	}
	at := func(d time.Time) string { return d.Format(time.RFC3339) }

	write(day, 0)
	if r := run(t, "", "policy", "check", "--config", cfgPath, "--service", "web", "--at", at(day.Add(24*time.Hour))); r.code != 0 || !strings.Contains(r.stdout, "ok") {
		t.Fatalf("policy check with the budget whole: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := endpoint(day.Add(24 * time.Hour)); got != "ok" {
		t.Errorf("GET /api/v1/policy with the budget whole: %s", got)
	}
	write(day.Add(24*time.Hour), 5) // 5% errors: 2.5% over two days, 2.5× the budget
	if r := run(t, "", "policy", "check", "--config", cfgPath, "--service", "web", "--at", at(day.Add(48*time.Hour))); r.code != 1 ||
		!strings.Contains(r.stdout, "feature freeze except fixes") || !strings.Contains(r.stdout, "freeze") {
		t.Fatalf("policy check with the budget spent: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := endpoint(day.Add(48 * time.Hour)); got != "freeze" {
		t.Errorf("GET /api/v1/policy with the budget spent: %s", got)
	}

	// Changes and toil from the command line reach the review.
	if r := run(t, "", "event", "add", "--config", cfgPath, "--service", "web", "--version", "v1.4.2", "--at", at(day.Add(24*time.Hour))); r.code != 0 {
		t.Fatalf("event add: %d %s", r.code, r.stderr)
	}
	gitLog := filepath.Join(dir, "git.log")
	writeFile(t, gitLog, "0123456789abcdef "+at(day.Add(30*time.Hour))+" fix the deals query\n")
	if r := run(t, "", "event", "import", "--config", cfgPath, "--service", "web", "--format", "git", gitLog); r.code != 0 || !strings.Contains(r.stdout, "1 change recorded") {
		t.Fatalf("event import: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "", "event", "import", "--config", cfgPath, "--service", "web", "--format", "git", gitLog); r.code != 0 || !strings.Contains(r.stdout, "0 changes recorded (1 already known)") {
		t.Errorf("event import again: %s", r.stdout)
	}
	for _, tag := range []string{"db-restart", "db-restart", "cert"} {
		if r := run(t, "", "toil", "add", "--config", cfgPath, "--minutes", "90", "--category", "interrupt", "--tag", tag, "--at", at(day.Add(40*time.Hour)), "restarted"); r.code != 0 {
			t.Fatalf("toil add: %d %s", r.code, r.stderr)
		}
	}
	r := run(t, "", "review", "--config", cfgPath, "--sprint", "2025-03-05", "--at", at(day.Add(48*time.Hour)))
	if r.code != 0 {
		t.Fatalf("review: %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"v1.4.2", "db-restart", "avail", "feature freeze except fixes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("review lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := run(t, "", "review", "--config", cfgPath, "--sprint", "2025-03-05", "--lang", "ja", "--format", "html", "--at", at(day.Add(48*time.Hour))); r.code != 0 || !strings.Contains(r.stdout, "<html") {
		t.Errorf("review html ja: %d %s", r.code, r.stderr)
	}
}
