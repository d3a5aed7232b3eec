package ingest

import (
	"bytes"
	"context"
	"testing"

	"github.com/headroom-slo/headroom/internal/genlog"
	"github.com/headroom-slo/headroom/internal/store"
)

type discard struct{ batches int }

func (d *discard) Commit(context.Context, *store.Batch) error { d.batches++; return nil }

func (d *discard) EnsureDims(_ context.Context, _ string, dims []store.DimValue) ([]uint32, error) {
	out := make([]uint32, len(dims))
	for i := range out {
		out[i] = uint32(i + 1)
	}
	return out, nil
}

// BenchmarkRun measures parse + classify + aggregate on all cores, without
// the store: what the import pipeline costs per line before SQLite.
func BenchmarkRun(b *testing.B) {
	var buf bytes.Buffer
	if err := genlog.Generate(&buf, genlog.Options{Lines: 200_000, Format: "custom"}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	e := newEnvB(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := Run(context.Background(), &discard{}, e, Stream{R: bytes.NewReader(data), Path: "bench", Fingerprint: "x", Final: true}, Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*200_000/b.Elapsed().Seconds(), "lines/s")
}

func newEnvB(b *testing.B) *Source {
	return testSource(b, testConfig(b, "/dev/null"), nil, 0)
}
