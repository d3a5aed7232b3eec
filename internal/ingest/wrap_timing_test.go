package ingest

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/headroom-slo/headroom/internal/genlog"
	"github.com/headroom-slo/headroom/internal/headroomtest"
)

// BenchmarkRunCRI is BenchmarkRun on the same lines wrapped as containerd
// writes them (one F line each): what finding the cuts and unwrapping add.
func BenchmarkRunCRI(b *testing.B) {
	var buf bytes.Buffer
	if err := genlog.Generate(&buf, genlog.Options{Lines: 200_000, Format: "custom"}); err != nil {
		b.Fatal(err)
	}
	const prefix = "2026-11-20T10:00:00.123456789Z stdout F "
	var wrapped bytes.Buffer
	wrapped.Grow(buf.Len() + 200_000*len(prefix))
	for l := range bytes.Lines(buf.Bytes()) {
		wrapped.WriteString(prefix)
		wrapped.Write(l)
	}
	data := wrapped.Bytes()
	cfg := headroomtest.Config(b, fmt.Sprintf(`
services:
  - name: web
    logs:
      - {path: /dev/null, log_format: '%s', wrapper: cri}
    exclude:
      - route: ^/health
      - user_agent: kube-probe
slos:
  - {name: avail, service: web, objective: 99.9, window: 28d, sli: {type: availability}}
  - {name: lat, service: web, objective: 99, window: 28d, sli: {type: latency, threshold: 250ms}}
`, customFormat))
	src := testSource(b, cfg, nil, 0)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := Run(context.Background(), &discard{}, src, Stream{R: bytes.NewReader(data), Path: "bench", Fingerprint: "x", Final: true}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Lines != 200_000 || res.Malformed != 0 {
			b.Fatalf("%+v", res)
		}
	}
	b.ReportMetric(float64(b.N)*200_000/b.Elapsed().Seconds(), "lines/s")
}
