package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/report"
)

// TestOneNumberEverywhere renders every view of the quickstart's SLOs — the
// API, the overview, the SLO page and its math, `status` (JSON and text)
// and the sprint review — and checks that each number shown twice is the
// same number, written the same way.
func TestOneNumberEverywhere(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, "", "quickstart", "--dir", dir); r.code != 0 {
		t.Fatalf("quickstart: %d %s", r.code, r.stderr)
	}
	cfg := filepath.Join(dir, "quickstart.yaml")
	const at = "2026-11-19T15:00:10Z"

	// status, as JSON and as text.
	r := run(t, "", "status", "--config", cfg, "--at", at, "--json")
	var st StatusReport
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.SLOs) != 2 {
		t.Fatalf("status --json: %v %s", err, r.stdout)
	}
	statusText := run(t, "", "status", "--config", cfg, "--at", at).stdout
	review := run(t, "", "review", "--config", cfg, "--at", at, "--format", "md").stdout

	// The dashboard and the API, as of the sample's end.
	ctx, cancel := context.WithCancel(context.Background())
	logs := &itest.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0", "--at", at}, Stdio{In: strings.NewReader(""), Out: logs, Err: logs})
	}()
	defer func() { cancel(); <-done }()
	addr := regexp.MustCompile(`Dashboard: http://([0-9.:]+)/`)
	waitFor(t, func() bool { return addr.MatchString(logs.String()) }, logs.String)
	base := "http://" + addr.FindStringSubmatch(logs.String())[1]
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var api struct{ SLOs []report.SLO }
	if err := json.Unmarshal([]byte(get("/api/v1/slos")), &api); err != nil || len(api.SLOs) != 2 {
		t.Fatalf("GET /api/v1/slos: %v %+v", err, api)
	}
	overview := get("/")

	checked := 0
	for _, s := range st.SLOs {
		var o report.SLO
		for _, a := range api.SLOs {
			if a.Name == s.Name {
				o = a
			}
		}
		if o.Name == "" {
			t.Fatalf("%s: not in the API", s.Name)
		}
		// The numbers: status --json and the API.
		for _, c := range []struct {
			what        string
			status, api float64
		}{
			{"total", s.Total, o.Total}, {"good", s.Good, o.Good}, {"bad", s.Bad, o.Bad}, {"sli", s.SLI, o.SLI},
			{"error budget", s.ErrorBudget, o.ErrorBudget}, {"budget left", s.ErrorBudgetRemaining, o.BudgetRemaining},
			{"burn 1h", *s.BurnRates["1h"], *o.BurnRates["1h"]},
		} {
			if c.status != c.api {
				t.Errorf("%s %s: status %v, API %v", s.Name, c.what, c.status, c.api)
			}
			checked++
		}
		// The SLI as text, everywhere it is written.
		sli := report.FormatSLI(o.SLI, o.Objective)
		page := get("/slo/" + s.Name)
		math := page[strings.Index(page, `class="math"`):]
		row := regexp.MustCompile(`(?s)<tr data-slo="` + s.Name + `".*?</tr>`).FindString(overview)
		statusRow := regexp.MustCompile(`(?m)^\s*` + s.Name + `\s.*$`).FindString(statusText)
		reviewRow := regexp.MustCompile("(?m)^\\| `" + s.Name + "` .*$").FindString(review)
		for where, text := range map[string]string{"overview": row, "SLO page": page[:strings.Index(page, `class="math"`)],
			"the math": math, "status": statusRow, "review": reviewRow} {
			if !strings.Contains(text, sli) {
				t.Errorf("%s: %s does not write the SLI as %s:\n%.400s", s.Name, where, sli, text)
			}
			checked++
		}
		// The budget left in requests: the header and the math.
		left := regexp.MustCompile(`([0-9,.]+) more bad requests allowed`).FindStringSubmatch(page)
		mathLeft := regexp.MustCompile(`<b>([0-9,.]+)</b> left`).FindStringSubmatch(math)
		if left == nil || mathLeft == nil || left[1] != mathLeft[1] {
			t.Errorf("%s: the header's budget in requests %v, the math's %v", s.Name, left, mathLeft)
		}
		if want := fmt.Sprintf("%.1f", o.BudgetRequests); left == nil || strings.ReplaceAll(left[1], ",", "") != strings.TrimSuffix(want, ".0") && strings.ReplaceAll(left[1], ",", "") != want {
			t.Errorf("%s: the page says %v bad requests left, the API %v", s.Name, left, o.BudgetRequests)
		}
		// The budget left as a share: the overview and the SLO page.
		pct := fmt.Sprintf("%.1f%%", o.BudgetRemaining*100)
		if !strings.Contains(row, pct) || !strings.Contains(page, pct) || !strings.Contains(statusRow, pct) {
			t.Errorf("%s: the budget left %s is not in the overview, the SLO page and status", s.Name, pct)
		}
		checked += 3
	}
	if checked < 20 {
		t.Fatalf("compared %d numbers", checked)
	}
}
