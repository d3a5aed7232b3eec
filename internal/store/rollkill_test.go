package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/cells"
)

// rollKillDir, when set, makes TestRollupKilled the child: it rolls up the
// store in that directory until it is killed.
const rollKillDir = "HEADROOM_TEST_ROLL_DIR"

// TestRollupKilled: `serve` SIGKILLed (a real kill, of a real SQLite
// writer) while it rolls up a fleet's hours and days, six times at random
// moments within a roll-up. After each kill the database is intact, every
// reader sees exactly the minutes pushed, every hour and day row that is no
// longer marked stale holds exactly its node's minutes, and the roll-up
// resumes where it stopped.
func TestRollupKilled(t *testing.T) {
	if dir := os.Getenv(rollKillDir); dir != "" {
		rollUntilKilled(t, dir)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("SIGKILL of a child process: Linux only")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	rng := rand.New(rand.NewPCG(7, 8))
	m := model{}
	const nodes, hours = 30, 14
	for n := range nodes {
		node := fmt.Sprintf("node-%02d", n)
		var b Batch
		for h := range int64(hours) {
			for range 12 {
				minute := base + h*Hour + rng.Int64N(60)*Minute
				d := DimValue{Host: "h", Route: fmt.Sprintf("/r%d", rng.IntN(20)), Method: "GET", Status: 200 + rng.IntN(2)*300, Node: node}
				le, c := uint32(1+rng.IntN(900)), uint64(1+rng.IntN(5))
				b.Add("web", minute, d, le, c)
				m.add(minute, d, le, c)
			}
		}
		if _, err := s.CommitPush(ctx, node, "i", "{}", []PushedCommit{{Seq: 1, Batch: &b}}, time.Unix(base, 0)); err != nil {
			t.Fatal(err)
		}
	}
	total, err := s.Pending(ctx)
	if err != nil || total != nodes*(hours+1) {
		t.Fatalf("%d pieces stale, %v; want %d", total, err, nodes*(hours+1))
	}
	s.Close()

	// How long a whole roll-up takes here, on a copy: the kills land
	// within it.
	took := timeRoll(t, dir)
	t.Logf("%d pieces roll up in %v", total, took)

	check := func(when string) (left int64, rolled int) {
		t.Helper()
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		defer s.Close()
		var ok string
		if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Fatalf("%s: integrity check: %q %v", when, ok, err)
		}
		for _, res := range Resolutions {
			if diff := cmp.Diff(m.cells(res, base, base+Day), readAll(t, s, "web", res, base, base+Day)); diff != "" {
				t.Fatalf("%s: %s cells (-want +got):\n%s", when, ResolutionName(res), diff)
			}
		}
		rolled = checkRolledRows(t, s, m, when)
		left, err = s.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return left, rolled
	}

	left, midway := total, 0
	for kill := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRollupKilled$")
		cmd.Env = append(os.Environ(), rollKillDir+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "rolling\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: the child said %q, %v", kill+1, line, err)
		}
		// Within the first third of what is left.
		time.Sleep(time.Duration(rng.Int64N(int64(took)*left/total/3 + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		now, _ := check(fmt.Sprintf("after kill %d", kill+1))
		if now > left {
			t.Fatalf("kill %d: %d pieces stale, more than the %d before", kill+1, now, left)
		}
		if now < left && now > 0 {
			midway++
		}
		t.Logf("kill %d: %d pieces stale (%d before)", kill+1, now, left)
		left = now
	}
	if midway < 3 {
		t.Errorf("only %d of 6 kills landed within a roll-up (after some pieces, before the last)", midway)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Roll(ctx, time.Unix(base+2*Day, 0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if left, rolled := check("after the roll-up resumed"); left != 0 || rolled != int(total) {
		t.Errorf("after a whole roll-up: %d pieces still stale, %d rows checked; want 0 and %d", left, rolled, total)
	}
}

// rollUntilKilled is the child of TestRollupKilled: it says it is rolling,
// then rolls up everything stale.
func rollUntilKilled(t *testing.T, dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("rolling")
	if _, err := s.Roll(context.Background(), time.Now().Add(100*365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// timeRoll returns how long a whole roll-up of the store in dir takes, on
// a copy of it.
func timeRoll(t *testing.T, dir string) time.Duration {
	t.Helper()
	cp := t.TempDir()
	b, err := os.ReadFile(dir + "/" + DBFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp+"/"+DBFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	r, err := s.Roll(context.Background(), time.Now().Add(100*365*24*time.Hour))
	if err != nil || r.Pieces == 0 {
		t.Fatalf("rolled %d pieces: %v", r.Pieces, err)
	}
	return time.Since(start)
}

// checkRolledRows: every hour and day row of a node that is not marked
// stale holds exactly that node's minutes (what a roll-up wrote, or the
// lack of a row where it deleted one). It returns how many rows it checked.
func checkRolledRows(t *testing.T, s *Store, m model, when string) (rolled int) {
	t.Helper()
	ctx := context.Background()
	id, err := s.ServiceID(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := s.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []int64{Hour, Day} {
		want := m.cells(res, 0, 1<<40)
		rows, err := s.db.Query(`SELECT c.start, c.node, c.data FROM cells c WHERE c.service_id = ? AND c.res = ?
			AND NOT EXISTS (SELECT 1 FROM rollup_pending p WHERE p.service_id = c.service_id AND p.res = c.res AND p.start = c.start AND p.node = c.node)`, id, res)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var start int64
			var node string
			var data []byte
			if err := rows.Scan(&start, &node, &data); err != nil {
				t.Fatal(err)
			}
			var c cells.Cell
			if err := c.Decode(data); err != nil {
				t.Fatalf("%s: %s row %d of %s: %v", when, ResolutionName(res), start, node, err)
			}
			got := map[DimValue]cells.Entry{}
			for _, e := range c.Entries {
				got[dims[e.Dim]] = cells.Entry{Count: e.Count, Hist: append(cells.Hist(nil), e.Hist...)}
			}
			mine := map[DimValue]cells.Entry{}
			for d, e := range want[start] {
				if d.Node == node {
					mine[d] = e
				}
			}
			if diff := cmp.Diff(mine, got); diff != "" {
				t.Fatalf("%s: %s row %d of %s, not stale (-want +got):\n%s", when, ResolutionName(res), start, node, diff)
			}
			rolled++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return rolled
}
