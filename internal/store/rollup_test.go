package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/cells"
)

// model is what was stored, kept apart from the store: each minute's
// entries by dimension value.
type model map[int64]map[DimValue]cells.Entry

func (m model) add(minute int64, d DimValue, le uint32, n uint64) {
	if m[minute] == nil {
		m[minute] = map[DimValue]cells.Entry{}
	}
	e := m[minute][d]
	e.Count += n
	e.Hist.Add(le, n)
	m[minute][d] = e
}

// cells returns, by start, the sum of the model's minutes in each cell of
// res starting in [from, to).
func (m model) cells(res, from, to int64) map[int64]map[DimValue]cells.Entry {
	out := map[int64]map[DimValue]cells.Entry{}
	for minute, byDim := range m {
		start := minute - minute%res
		if start < from || start >= to {
			continue
		}
		if out[start] == nil {
			out[start] = map[DimValue]cells.Entry{}
		}
		for d, e := range byDim {
			o := out[start][d]
			o.Count += e.Count
			o.Hist.Merge(append(cells.Hist(nil), e.Hist...))
			out[start][d] = o
		}
	}
	return out
}

// readAll returns the cells ReadCells gives, by start and dimension value.
func readAll(t *testing.T, s *Store, svc string, res, from, to int64) map[int64]map[DimValue]cells.Entry {
	t.Helper()
	ctx := context.Background()
	id, err := s.ServiceID(ctx, svc, false)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := s.Dims(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]map[DimValue]cells.Entry{}
	last := int64(-1)
	err = s.ReadCells(ctx, id, res, from, to, func(sp *Span) error {
		if sp.Start <= last {
			return fmt.Errorf("cell %d after %d: not in time order, or twice", sp.Start, last)
		}
		last = sp.Start
		m := map[DimValue]cells.Entry{}
		for i, e := range sp.Cell.Entries {
			if i > 0 && sp.Cell.Entries[i-1].Dim >= e.Dim {
				return fmt.Errorf("cell %d: entries not sorted, or a dimension twice", sp.Start)
			}
			m[dims[e.Dim]] = cells.Entry{Count: e.Count, Hist: append(cells.Hist(nil), e.Hist...)}
		}
		out[sp.Start] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fleetPush pushes, as agent node, n random minutes of the hours given
// (offsets from base), recording them in m.
func fleetPush(t *testing.T, s *Store, rng *rand.Rand, m model, node string, seq *int64, base int64, hours ...int64) {
	t.Helper()
	var b Batch
	for _, h := range hours {
		for range 3 {
			minute := base + h*Hour + rng.Int64N(60)*Minute
			d := DimValue{Host: "h", Route: fmt.Sprintf("/r%d", rng.IntN(4)), Method: "GET", Status: 200 + rng.IntN(2)*300, Node: node}
			le, n := uint32(1+rng.IntN(900)), uint64(1+rng.IntN(5))
			b.Add("web", minute, d, le, n)
			m.add(minute, d, le, n)
		}
	}
	*seq++
	if _, err := s.CommitPush(context.Background(), node, "i", "{}", []PushedCommit{{Seq: *seq, Batch: &b}}, time.Unix(base, 0)); err != nil {
		t.Fatal(err)
	}
}

// TestRollupExact: hours and days read exactly the minutes they cover
// whether their agents' rows are rolled up or not: with serve's own cells
// beside, before and after Roll, with late pushes into hours and days
// rolled up already, and across retention, which rolls up before deleting
// and keeps what it cannot roll up again exact.
func TestRollupExact(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	m := model{}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	end := base + 4*Day
	check := func(when string) {
		t.Helper()
		for _, res := range Resolutions {
			// Whole days, and ranges starting and ending inside them.
			for _, r := range [][2]int64{{base, end}, {base + 5*Hour, base + Day + 7*Hour}, {base + Day + 1*Hour, base + 2*Day + 1*Hour}} {
				from, to := r[0]-r[0]%res, r[1]-r[1]%res
				if diff := cmp.Diff(m.cells(res, from, to), readAll(t, s, "web", res, from, to)); diff != "" {
					t.Fatalf("%s: %s cells in [%d, %d) (-want +got):\n%s", when, ResolutionName(res), from-base, to-base, diff)
				}
			}
		}
	}
	var seqA, seqB int64
	// serve's own lines, written with their rollups.
	var own Batch
	for _, h := range []int64{0, 1, 25} {
		d := DimValue{Host: "h", Route: "/own", Method: "GET", Status: 200}
		own.Add("web", base+h*Hour+7*Minute, d, 40, 2)
		m.add(base+h*Hour+7*Minute, d, 40, 2)
	}
	if err := s.Commit(ctx, &own); err != nil {
		t.Fatal(err)
	}
	fleetPush(t, s, rng, m, "node-a", &seqA, base, 0, 1)
	fleetPush(t, s, rng, m, "node-b", &seqB, base, 1, 2)
	fleetPush(t, s, rng, m, "node-a", &seqA, base, 1, 23, 24)
	check("stale")
	if n, err := s.Pending(ctx); err != nil || n == 0 {
		t.Fatalf("pending %d, %v; want stale hours and days", n, err)
	}
	// Roll as of 1:30 on day 2: the hours that ended, not day 2's hour 1
	// nor day 2 itself.
	r, err := s.Roll(ctx, time.Unix(base+Day+Hour+30*Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	check("rolled up in part")
	if r.Pieces != 8 { // a: hours 0, 1, 23, 24; b: 1, 2; day 1 of a and b
		t.Errorf("rolled up %d pieces, want 8", r.Pieces)
	}
	// Late pushes into hours and a day rolled up already, and a new one.
	fleetPush(t, s, rng, m, "node-b", &seqB, base, 1, 23)
	fleetPush(t, s, rng, m, "node-a", &seqA, base, 2, 49)
	check("late pushes")
	if _, err := s.Roll(ctx, time.Unix(end+Day, 0)); err != nil {
		t.Fatal(err)
	}
	check("rolled up")
	if n, err := s.Pending(ctx); err != nil || n != 0 {
		t.Fatalf("pending %d, %v after rolling everything up; want 0", n, err)
	}
	fleetPush(t, s, rng, m, "node-b", &seqB, base, 26, 49)
	check("pushed after rolling up")

	// Retention deletes minutes before day 2, 12:30 and hours before day
	// 2: the stale hours and day 1 are rolled up first.
	fleetPush(t, s, rng, m, "node-a", &seqA, base, 2, 36)
	now := base + 3*Day
	if _, err := s.Prune(ctx, time.Unix(now, 0), time.Duration(now-(base+Day+12*Hour+30*Minute))*time.Second,
		time.Duration(now-(base+Day))*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	checkCoarse := func(when string) {
		t.Helper()
		if diff := cmp.Diff(m.cells(Day, base, end), readAll(t, s, "web", Day, base, end)); diff != "" {
			t.Fatalf("%s: days (-want +got):\n%s", when, diff)
		}
		if diff := cmp.Diff(m.cells(Hour, base+Day, end), readAll(t, s, "web", Hour, base+Day, end)); diff != "" {
			t.Fatalf("%s: hours kept (-want +got):\n%s", when, diff)
		}
		from := base + Day + 13*Hour
		if diff := cmp.Diff(m.cells(Minute, from, end), readAll(t, s, "web", Minute, from, end)); diff != "" {
			t.Fatalf("%s: minutes kept (-want +got):\n%s", when, diff)
		}
	}
	checkCoarse("pruned")
	// Late pushes into an hour whose minutes were deleted in part (day 2,
	// 12:00), an hour before it, a day whose hours were deleted (day 1),
	// and hours after: exact still, rolled up or not.
	fleetPush(t, s, rng, m, "node-b", &seqB, base, 36, 30, 5, 40)
	checkCoarse("late pushes after pruning")
	if _, err := s.Roll(ctx, time.Unix(end+Day, 0)); err != nil {
		t.Fatal(err)
	}
	checkCoarse("late pushes after pruning, rolled up")
}

// TestRollupAtomic: a push's minutes and its marks are committed together
// or not at all, and so are a roll's row and the clearing of its mark.
// SQLite triggers make the second statement of each fail.
func TestRollupAtomic(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Unix()
	d := DimValue{Host: "h", Route: "/", Method: "GET", Status: 200, Node: "node-a"}
	push := func(seq int64) error {
		var b Batch
		b.Add("web", base+5*Minute, d, 10, 1)
		_, err := s.CommitPush(ctx, "node-a", "i", "{}", []PushedCommit{{Seq: seq, Batch: &b}}, time.Unix(base, 0))
		return err
	}
	minutes := func() uint64 { return sum(t, s, "web", Minute, base, base+Hour)[d] }
	if err := push(1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`CREATE TRIGGER fail_mark BEFORE INSERT ON rollup_pending BEGIN SELECT RAISE(ABORT, 'no mark'); END;
		DELETE FROM rollup_pending`); err != nil {
		t.Fatal(err)
	}
	if err := push(2); err == nil {
		t.Fatal("push stored without its marks")
	}
	if got := minutes(); got != 1 {
		t.Errorf("minutes hold %d requests after a push that failed to mark its hour, want 1 (the first push's)", got)
	}
	if _, err := s.db.Exec(`DROP TRIGGER fail_mark;
		CREATE TRIGGER fail_roll BEFORE INSERT ON cells WHEN NEW.res = 3600 BEGIN SELECT RAISE(ABORT, 'no hour'); END`); err != nil {
		t.Fatal(err)
	}
	if err := push(2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Roll(ctx, time.Unix(base+Day, 0)); err == nil {
		t.Fatal("rolled up without writing the hour")
	}
	if n, err := s.Pending(ctx); err != nil || n != 2 {
		t.Errorf("%d marks, %v after a roll that failed, want 2 (the hour and the day)", n, err)
	}
	if got := sum(t, s, "web", Hour, base, base+Hour)[d]; got != 2 {
		t.Errorf("hour holds %d requests after a roll that failed, want 2", got)
	}
	if _, err := s.db.Exec(`DROP TRIGGER fail_roll`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Roll(ctx, time.Unix(base+Day, 0)); err != nil {
		t.Fatal(err)
	}
	for _, res := range Resolutions {
		if got := sum(t, s, "web", res, base-base%Day, base+Day)[d]; got != 2 {
			t.Errorf("%s holds %d requests, want 2", ResolutionName(res), got)
		}
	}
}

// TestRollupNotifies: a roll tells OnChange which cell it rewrote, with the
// store's commit count, as a write does.
func TestRollupNotifies(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Unix()
	var b Batch
	b.Add("web", base+5*Minute, DimValue{Host: "h", Node: "node-a"}, 10, 1)
	if _, err := s.CommitPush(ctx, "node-a", "i", "{}", []PushedCommit{{Seq: 1, Batch: &b}}, time.Unix(base, 0)); err != nil {
		t.Fatal(err)
	}
	var got []Change
	s.OnChange(func(c Change) { got = append(got, c) })
	if _, err := s.Roll(ctx, time.Unix(base+Hour+int64(RollGrace/time.Second)-1, 0)); err != nil || len(got) != 0 {
		t.Fatalf("within the grace: changes %v, %v; want none", got, err)
	}
	if _, err := s.Roll(ctx, time.Unix(base+Day+int64(RollGrace/time.Second), 0)); err != nil {
		t.Fatal(err)
	}
	commits, _ := s.Commits(ctx)
	want := []Change{
		{Service: "web", Res: Hour, Starts: []int64{base}, Commits: commits - 1},
		{Service: "web", Res: Day, Starts: []int64{base - base%Day}, Commits: commits},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestMigrateRollupPending opens a store of schema 5, whose agents' hours
// and days were written at each push: migrated, it reads the same, and
// pushes from then on mark their hours and days stale until rolled up.
func TestMigrateRollupPending(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Unix()
	d := DimValue{Host: "h", Route: "/", Method: "GET", Status: 200, Node: "node-a"}
	var b Batch
	b.Add("web", base+5*Minute, d, 10, 3)
	if err := s.resolveValues(ctx, &b); err != nil {
		t.Fatal(err)
	}
	// As schema 5 wrote a push: the minute, the hour and the day.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.writeService(ctx, tx, "web", "node-a", b.Cells["web"], false); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DROP TABLE rollup_pending; DROP INDEX cells_node; UPDATE meta SET value = '5' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	s.Close()

	ro, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range Resolutions {
		if got := sum(t, ro, "web", res, base-base%Day, base+Day)[d]; got != 3 {
			t.Errorf("read-only, schema 5, %s: %d requests, want 3", ResolutionName(res), got)
		}
	}
	ro.Close()

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.schema != schemaVersion || schemaVersion != 6 {
		t.Fatalf("schema %d after the migration, want %d (6)", s.schema, schemaVersion)
	}
	var pb Batch
	pb.Add("web", base+6*Minute, d, 10, 2)
	if _, err := s.CommitPush(ctx, "node-a", "i", "{}", []PushedCommit{{Seq: 1, Batch: &pb}}, time.Unix(base, 0)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Pending(ctx); err != nil || n != 2 {
		t.Errorf("%d stale pieces, %v after a push; want 2 (its hour and day)", n, err)
	}
	for _, roll := range []bool{false, true} {
		if roll {
			if _, err := s.Roll(ctx, time.Unix(base+2*Day, 0)); err != nil {
				t.Fatal(err)
			}
		}
		for _, res := range Resolutions {
			if got := sum(t, s, "web", res, base-base%Day, base+Day)[d]; got != 5 {
				t.Errorf("migrated, rolled up %v, %s: %d requests, want 5", roll, ResolutionName(res), got)
			}
		}
	}
}
