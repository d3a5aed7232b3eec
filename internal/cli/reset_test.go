package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/store"
)

// TestReset: reset forgets a service's imported data so that import reads
// its logs again; it asks first, and without a terminal to ask on it
// refuses unless told --yes. Change events and toil are kept.
func TestReset(t *testing.T) {
	cfg, lines := writeFixture(t, baseSLOs)
	if r := run(t, "", "reset", "--config", cfg, "--service", "web", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "nothing to reset") {
		t.Errorf("reset before any import: %+v", r)
	}
	if r := run(t, "", "import", "--config", cfg); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	for _, args := range [][]string{
		{"event", "add", "--config", cfg, "--service", "web", "--version", "v2", "--at", "2026-11-20T11:00:00Z", "deploy v2"},
		{"toil", "add", "--config", cfg, "--minutes", "30", "--service", "web", "--at", "2026-11-20T11:00:00Z", "restarted the db"},
	} {
		if r := run(t, "", args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	// A changed config: the same log, now with an exclusion.
	y, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, strings.Replace(string(y), "slos:\n", "    exclude:\n      - route: ^/login$\nslos:\n", 1))
	r := run(t, "", "import", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "already fully imported") || !strings.Contains(r.stdout, "`headroom reset --service NAME`") {
		t.Errorf("import after the change: %+v", r)
	}

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no --service", []string{}, ExitUsage, "--service is required"},
		{"an unknown service", []string{"--service", "wbe", "--yes"}, ExitUsage, `unknown service "wbe": neither in ` + cfg + ` (services: web) nor in the store`},
		{"no terminal, no --yes", []string{"--service", "web"}, ExitUsage,
			"refusing to reset service web without --yes: stdin is not a terminal to confirm on, and a reset deletes "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "y\n", append([]string{"reset", "--config", cfg}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d, %q", r.code, r.stderr, tc.code, tc.stderr)
			}
			if got := status(t, cfg).SLOs[0].Total; got != float64(lines) {
				t.Errorf("after a refused reset the SLO counts %v requests, want %d", got, lines)
			}
		})
	}

	r = run(t, "", "reset", "--config", cfg, "--service", "web", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "reset service web: forgot ") || !strings.Contains(r.stdout, "the read positions of 1 file") {
		t.Fatalf("reset: %+v", r)
	}
	if got := status(t, cfg).SLOs[0].Total; got != 0 {
		t.Errorf("after reset the SLO counts %v requests, want 0", got)
	}
	r = run(t, "", "import", "--config", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "lines      1,200") || !strings.Contains(r.stdout, "excluded   400") {
		t.Fatalf("import after reset: %+v", r)
	}
	if got := status(t, cfg).SLOs[0].Total; got != 800 {
		t.Errorf("after reset and import the SLO counts %v requests, want the 800 not excluded", got)
	}
	st, err := store.Open(filepath.Join(filepath.Dir(cfg), "data"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	from, to := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	if ch, err := st.Changes(context.Background(), "web", from, to); err != nil || len(ch) != 1 {
		t.Errorf("change events after reset: %v, %v; want the deploy kept", ch, err)
	}
	if toil, err := st.Toil(context.Background(), from, to); err != nil || len(toil) != 1 {
		t.Errorf("toil after reset: %v, %v; want it kept", toil, err)
	}
}

func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{"y\n": true, "yes\n": true, " Y \n": true, "YES": true, "\n": false, "n\n": false, "": false, "yep\n": false} {
		var out strings.Builder
		if got := confirm(strings.NewReader(in), &out, "Reset service web?"); got != want || out.String() != "Reset service web? [y/N] " {
			t.Errorf("confirm(%q) = %v, asked %q; want %v", in, got, out.String(), want)
		}
	}
}
