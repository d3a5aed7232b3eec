package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// goRun is os.Args[0] of a headroom that `go run ./cmd/headroom` built.
const goRun = "/tmp/go-build2716/b001/exe/headroom"

// runAs is run with Stdio.Prog set.
func runAs(t *testing.T, prog string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb, Prog: prog})
	return result{code, out.String(), errb.String()}
}

// hintArgs finds the commands that out suggests starting with prog (in
// backquotes, or on a line of their own) and returns their arguments.
func hintArgs(t *testing.T, out, prog string) [][]string {
	t.Helper()
	re := regexp.MustCompile("(?m)(?:`|^  )" + regexp.QuoteMeta(prog) + " ([^`\n#]*)")
	var all [][]string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		var args []string
		for _, f := range strings.Fields(m[1]) {
			args = append(args, strings.Trim(f, "'"))
		}
		all = append(all, args)
	}
	return all
}

// TestStatusSaysWhenTheDataEndsLongBefore: evaluated long after the last
// event, status says when the data ends and how to see it then, and that
// command shows the data.
func TestStatusSaysWhenTheDataEndsLongBefore(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	if r := run(t, "", "import", "--config", cfg, "--quiet"); r.code != 0 {
		t.Fatalf("import: %d %s", r.code, r.stderr)
	}
	r := run(t, "", "status", "--config", cfg, "--at", "2027-06-01T00:00:00Z")
	if r.code != 0 || !strings.Contains(r.stdout, "no data") {
		t.Fatalf("status long after: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := "The data ends at 2026-11-20T11:59:54Z, 192d12h before 2027-06-01T00:00:00Z"
	if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "192d12h  ") {
		t.Errorf("status lacks %q, or a lag in days and hours:\n%s", want, r.stdout)
	}
	hints := hintArgs(t, r.stdout, "headroom")
	if len(hints) != 1 {
		t.Fatalf("hints %q, want one", hints)
	}
	h := run(t, "", hints[0]...)
	if h.code != 0 || strings.Contains(h.stdout, "no data") || strings.Contains(h.stdout, "The data ends") {
		t.Errorf("%v: %d\n%s%s", hints[0], h.code, h.stdout, h.stderr)
	}
	// Within a day of the last event: no hint.
	if r := run(t, "", "status", "--config", cfg, "--at", "2026-11-21T11:00:00Z"); strings.Contains(r.stdout, "The data ends") {
		t.Errorf("a hint within a day:\n%s", r.stdout)
	}
}

// TestQuickstart: quickstart imports the sample and prints its SLOs; every
// command it suggests is spelled as headroom was run (go run here) and
// does what it says: the alerts hint, which has --at, shows the sample's
// firings. Run again, it keeps a config that was edited.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	r := runAs(t, goRun, "quickstart", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("quickstart: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"web-availability", "api-latency", "imported 1 file", "headroom serve --config"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, r.stdout)
		}
	}
	cfg := filepath.Join(dir, "quickstart.yaml")
	want := "`go run ./cmd/headroom alerts --config " + cfg + " --at 2026-11-19T15:00:10Z`"
	if !strings.Contains(r.stdout, "6 fired ("+want) {
		t.Errorf("quickstart's alerts hint is not %s:\n%s", want, r.stdout)
	}
	if strings.Contains(r.stdout, "`headroom ") || strings.Contains(r.stdout, "  headroom ") {
		t.Errorf("quickstart suggests headroom, not go run ./cmd/headroom:\n%s", r.stdout)
	}
	hints := hintArgs(t, r.stdout, "go run ./cmd/headroom")
	if len(hints) != 4 {
		t.Fatalf("%d hints, want 4 (alerts, then status, alerts and serve):\n%s", len(hints), r.stdout)
	}
	for _, args := range hints {
		if args[0] == "serve" {
			continue // it runs until stopped; its flags are those of status
		}
		h := runAs(t, goRun, args...)
		if h.code != 0 {
			t.Errorf("%v: exit %d\n%s", args, h.code, h.stderr)
		}
		if args[0] == "alerts" && !strings.Contains(h.stdout, "inactive → firing") {
			t.Errorf("%v shows no firing:\n%s", args, h.stdout)
		}
	}

	// Again: the sample's config, unedited, is not "kept"; edited, it is,
	// and quickstart still imports and prints with it.
	if r := run(t, "", "quickstart", "--dir", dir); r.code != 0 || strings.Contains(r.stdout, "Kept") {
		t.Errorf("quickstart twice: %d\n%s", r.code, r.stdout)
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(b, []byte("objective: 99.9 "), []byte("objective: 99.5 "), 1)
	if bytes.Equal(edited, b) {
		t.Fatal("the sample config has no objective: 99.9 to edit")
	}
	writeFile(t, cfg, string(edited))
	r = run(t, "", "quickstart", "--dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Kept "+cfg) || !strings.Contains(r.stdout, "99.5%") {
		t.Errorf("quickstart over an edited config: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(cfg); !bytes.Equal(got, edited) {
		t.Error("quickstart overwrote the edited config")
	}
}

// checkAlertsAt: the states as of --at and the changes in the --since
// before it; with none, the command that shows the last change.
func checkAlertsAt(t *testing.T, cfg string) {
	t.Helper()
	r := run(t, "", "alerts", "--config", cfg, "--at", "2026-11-15T14:22:00Z", "--since", "1h", "--json")
	if r.code != 0 {
		t.Fatalf("alerts --at: %d %s", r.code, r.stderr)
	}
	var rep AlertsReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	firing := map[string]bool{}
	for _, s := range rep.States {
		if s.Phase.Active() {
			firing[s.Key] = true
		}
	}
	if !firing["burn/web-availability/page-1h"] || firing["burn/web-availability/page-6h"] {
		t.Errorf("firing at 14:22: %v, want page-1h and not yet page-6h", firing)
	}
	for _, e := range rep.Events {
		if e.At.Before(rep.At.Add(-time.Hour)) || e.At.After(rep.At) {
			t.Errorf("event at %v outside the hour before %v", e.At, rep.At)
		}
	}
	if len(rep.Events) == 0 {
		t.Error("no events in the hour before the page")
	}

	// Long after the sample: nothing in the week before, and the way to see
	// the last change.
	r = run(t, "", "alerts", "--config", cfg, "--at", "2027-01-01T00:00:00Z")
	if !strings.Contains(r.stdout, "(no changes)") || !strings.Contains(r.stdout, "The last change was at 2026-11-17T10:45:00Z") {
		t.Fatalf("alerts long after:\n%s", r.stdout)
	}
	hints := hintArgs(t, r.stdout, "headroom")
	if len(hints) != 1 {
		t.Fatalf("hints %q, want one", hints)
	}
	if h := run(t, "", hints[0]...); h.code != 0 || !strings.Contains(h.stdout, "firing → inactive") {
		t.Errorf("%v: %d\n%s%s", hints[0], h.code, h.stdout, h.stderr)
	}
}
