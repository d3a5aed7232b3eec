// Package headroomtest holds the fixtures headroom's tests share: a config
// written to a temporary directory, its store and a report engine over it,
// and builders that write traffic into the store as minute cells.
//
// It is for tests only: import it from _test.go files, never from
// production code. Every function fails the test on an error and cleans up
// after it. It imports config, store and report (and what they import), so
// the internal tests (package foo) of those packages cannot use it; it
// imports nothing that sits above report (cli, server, itest).
package headroomtest

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

// ConfigFile is the name Config writes the config under.
const ConfigFile = "headroom.yaml"

// Config writes yaml to ConfigFile in a new temporary directory and loads
// it, so relative paths in it (storage.dir, log paths) resolve against that
// directory. Without a storage.dir the data go to ./headroom-data there.
// cfg.Path is the file, for commands that take --config.
func Config(tb testing.TB, yaml string) *config.Config {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), ConfigFile)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// Store opens the store in dir, closed when the test ends (closing it
// before is fine).
func Store(tb testing.TB, dir string) *store.Store {
	tb.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Engine returns a report engine over st for cfg.
func Engine(tb testing.TB, cfg *config.Config, st *store.Store) *report.Engine {
	tb.Helper()
	eng, err := report.New(cfg, st)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// Open is Config, then Store on its storage dir, then Engine: a config from
// yaml, its empty store and a report engine over it.
func Open(tb testing.TB, yaml string) (*config.Config, *store.Store, *report.Engine) {
	tb.Helper()
	cfg := Config(tb, yaml)
	st := Store(tb, cfg.Storage.Dir)
	return cfg, st, Engine(tb, cfg, st)
}

// AddFunc counts n requests of dimension d, with latencies in bucket le
// (cells.NoLatency: untimed), in the minute being written.
type AddFunc func(d store.DimValue, le uint32, n uint64)

// commitEvery is how many minutes Fill and Dense batch into one commit.
const commitEvery = 5 * 24 * 60

// Fill writes minutes minutes of service's traffic from from (a minute
// boundary): minute(m, add) adds the requests of minute m.
func Fill(tb testing.TB, st *store.Store, service string, from time.Time, minutes int, minute func(m time.Time, add AddFunc)) {
	tb.Helper()
	var b store.Batch
	for i := range minutes {
		m := from.Add(time.Duration(i) * time.Minute)
		minute(m, func(d store.DimValue, le uint32, n uint64) {
			b.Add(service, m.Unix(), d, le, n)
		})
		if (i+1)%commitEvery == 0 || i == minutes-1 {
			commit(tb, st, &b)
			b = store.Batch{}
		}
	}
}

// Traffic writes perMinute untimed requests a minute of service for minutes
// minutes from from, all POST /api/deals on host a: bad(m) of minute m's
// answered 503, the others 200.
func Traffic(tb testing.TB, st *store.Store, service string, from time.Time, minutes, perMinute int, bad func(m time.Time) int) {
	tb.Helper()
	d := store.DimValue{Host: "a", Route: "/api/deals", Method: "POST"}
	Fill(tb, st, service, from, minutes, func(m time.Time, add AddFunc) {
		e := min(bad(m), perMinute)
		d.Status = 200
		add(d, cells.NoLatency, uint64(perMinute-e))
		if e > 0 {
			d.Status = 503
			add(d, cells.NoLatency, uint64(e))
		}
	})
}

// Dense writes a benchmark's load of service over [from, to): every minute,
// one entry per dimension of dims that keep allows (nil keeps all), each
// summing samples draws of 1–5 requests at exponential latencies (mean
// 150 ms) from rng. keep(i) is called for the dimensions in order, before
// their draws, and may draw from rng too.
func Dense(tb testing.TB, st *store.Store, service string, dims []store.DimValue, from, to time.Time, samples int, rng *rand.Rand, keep func(i int) bool) {
	tb.Helper()
	ids, err := st.EnsureDims(context.Background(), service, dims)
	if err != nil {
		tb.Fatal(err)
	}
	layout := cells.NewLayout(300)
	var b store.Batch
	n := 0
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		c := b.Cell(service, m.Unix())
		for i, id := range ids {
			if keep != nil && !keep(i) {
				continue
			}
			e := cells.Entry{Dim: id}
			for range samples {
				k := uint64(1 + rng.IntN(5))
				e.Count += k
				e.Hist.Add(layout.Bucket(int64(rng.ExpFloat64()*150_000)), k)
			}
			c.Entries = append(c.Entries, e)
		}
		if n++; n%commitEvery == 0 {
			commit(tb, st, &b)
			b = store.Batch{}
		}
	}
	commit(tb, st, &b)
}

func commit(tb testing.TB, st *store.Store, b *store.Batch) {
	tb.Helper()
	if err := st.Commit(context.Background(), b); err != nil {
		tb.Fatal(err)
	}
}
