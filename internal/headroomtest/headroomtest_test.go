package headroomtest_test

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

const testConfig = `
storage: {retention: {minutes: forever}}
services: [{name: web, logs: [{path: web.log}]}]
slos:
  - {name: avail, service: web, objective: 99, window: 7d, sli: {type: availability}}
`

// stored sums the stored requests of service by status.
func stored(t *testing.T, st *store.Store, service string) map[int]uint64 {
	t.Helper()
	ctx := context.Background()
	id, err := st.ServiceID(ctx, service, false)
	if err != nil || id == 0 {
		t.Fatalf("service %s: id %d, %v", service, id, err)
	}
	dims, err := st.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]uint64{}
	err = st.ReadCells(ctx, id, store.Minute, 0, 1<<40, func(sp *store.Span) error {
		for _, e := range sp.Cell.Entries {
			out[dims[e.Dim].Status] += e.Count
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenResolvesAgainstTheConfigDir(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, testConfig)
	dir := filepath.Dir(cfg.Path)
	if filepath.Base(cfg.Path) != headroomtest.ConfigFile || st.Dir() != cfg.Storage.Dir || filepath.Dir(cfg.Storage.Dir) != dir {
		t.Errorf("config %s, storage %s, store %s: want the store inside the config's directory", cfg.Path, cfg.Storage.Dir, st.Dir())
	}
	if got := cfg.Services[0].Logs[0].Path; got != filepath.Join(dir, "web.log") {
		t.Errorf("log path %s, want it resolved against %s", got, dir)
	}
	if eng == nil {
		t.Fatal("no engine")
	}
}

func TestTraffic(t *testing.T) {
	_, st, eng := headroomtest.Open(t, testConfig)
	from := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	// Six days: more than one commit. 2 bad a minute in the first hour.
	headroomtest.Traffic(t, st, "web", from, 6*1440, 100, func(m time.Time) int {
		if m.Before(from.Add(time.Hour)) {
			return 2
		}
		return 0
	})
	want := map[int]uint64{200: 6*1440*100 - 120, 503: 120}
	if got := stored(t, st, "web"); got[200] != want[200] || got[503] != want[503] || len(got) != 2 {
		t.Errorf("stored %v, want %v", got, want)
	}
	c, err := eng.Counts(context.Background(), "avail", from, from.Add(6*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c.Total != 6*1440*100 || c.Bad() != 120 {
		t.Errorf("engine counts %+v, want %d total, 120 bad", c, 6*1440*100)
	}
}

func TestDense(t *testing.T) {
	cfg := headroomtest.Config(t, testConfig)
	st := headroomtest.Store(t, cfg.Storage.Dir)
	dims := []store.DimValue{
		{Host: "a", Route: "/", Method: "GET", Status: 200},
		{Host: "a", Route: "/", Method: "GET", Status: 500},
	}
	from := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	to := from.Add(6 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(1, 2))
	var kept [2]int
	headroomtest.Dense(t, st, "web", dims, from, to, 3, rng, func(i int) bool {
		if i == 0 || rng.IntN(10) == 0 {
			kept[i]++
			return true
		}
		return false
	})
	got := stored(t, st, "web")
	// Each kept entry is 3 draws of 1–5 requests.
	for i, d := range dims {
		if n := uint64(kept[i]); got[d.Status] < 3*n || got[d.Status] > 15*n {
			t.Errorf("status %d: %d requests in %d entries, want 3–15 each", d.Status, got[d.Status], n)
		}
	}
	if kept[0] != 6*1440 || kept[1] == 0 || kept[1] > kept[0]/5 {
		t.Errorf("kept %v entries, want every minute of dims[0], about one in ten of dims[1]", kept)
	}
}

// TestOnlyTestsImportIt: no package imports headroomtest outside its tests,
// and headroomtest imports nothing above report.
func TestOnlyTestsImportIt(t *testing.T) {
	const self = "github.com/headroom-slo/headroom/internal/headroomtest"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, "github.com/headroom-slo/headroom/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list listed %d packages:\n%s", len(lines), out)
	}
	for _, l := range lines {
		pkg, imports, _ := strings.Cut(l, ": ")
		if pkg != self && strings.Contains(" "+imports+" ", " "+self+" ") {
			t.Errorf("%s imports headroomtest outside its tests", pkg)
		}
	}
	out, err = exec.Command("go", "list", "-deps", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, above := range []string{"/internal/cli", "/internal/server", "/internal/itest", "/internal/e2e"} {
			if strings.HasSuffix(dep, above) {
				t.Errorf("headroomtest depends on %s", dep)
			}
		}
	}
}
