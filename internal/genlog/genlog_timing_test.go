package genlog

import (
	"io"
	"testing"
)

// countingDiscard counts what it discards, so the benchmark reports MB/s.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingDiscard)(nil)

func BenchmarkGenerate(b *testing.B) {
	for _, format := range []string{FormatCombined, FormatCustom, FormatJSON} {
		b.Run(format, func(b *testing.B) {
			const lines = 100000
			var w countingDiscard
			for b.Loop() {
				if err := Generate(&w, Options{Lines: lines, Format: format, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(w.n / int64(b.N))
			b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
