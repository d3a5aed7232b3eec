package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/headroom-slo/headroom/internal/genlog"
	"github.com/headroom-slo/headroom/internal/headroomtest"
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

// BenchmarkRunShared measures one log read for several services
// (services[].match): an ingress's log of five upstreams (each request's
// upstream chosen by the first segment of its path, as an ingress routes),
// split among 1, 2 or 5 services by match.upstream, each line counted by
// one service; and the same log for one service without a match, the cost
// without matching. ns/line is the wall time per line on all cores.
func BenchmarkRunShared(b *testing.B) {
	const n = 200_000
	var buf bytes.Buffer
	if err := genlog.Generate(&buf, genlog.Options{Lines: n, Format: "custom"}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 0, buf.Len()+n*20)
	for _, l := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		// "GET /api/users/12 HTTP/1.1": the upstream of /api/users.
		up := 0
		if _, req, ok := bytes.Cut(l, []byte(`"`)); ok {
			if _, path, ok := bytes.Cut(req, []byte(" ")); ok {
				path, _, _ = bytes.Cut(path, []byte(" "))
				segs := bytes.SplitN(path, []byte("/"), 4)
				for _, c := range bytes.Join(segs[:min(len(segs), 3)], nil) {
					up = (up*31 + int(c)) % 5
				}
			}
		}
		data = append(data, l[:len(l)-1]...)
		data = fmt.Appendf(data, " [upstream-%d-80]\n", up)
	}
	service := func(name, match string) string {
		s := fmt.Sprintf("  - name: %s\n    logs: [{path: /dev/null, log_format: '%s [$proxy_upstream_name]'}]\n", name, genlog.CustomLogFormat)
		if match != "" {
			s += fmt.Sprintf("    match: {upstream: '%s'}\n", match)
		}
		return s
	}
	for _, c := range []struct {
		name     string
		services []string
	}{
		{"services=1/no-match", []string{service("all", "")}},
		{"services=1", []string{service("all", "^upstream-")}},
		{"services=2", []string{service("a", "^upstream-[0-2]-"), service("b", "^upstream-[34]-")}},
		{"services=5", []string{service("s0", "^upstream-0-"), service("s1", "^upstream-1-"), service("s2", "^upstream-2-"),
			service("s3", "^upstream-3-"), service("s4", "^upstream-4-")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := headroomtest.Config(b, "services:\n"+strings.Join(c.services, "")+"slos: []\n")
			srcs, err := NewSources(context.Background(), cfg, nil, 0)
			if err != nil || len(srcs) != 1 {
				b.Fatal(srcs, err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := Run(context.Background(), &discard{}, srcs[0], Stream{R: bytes.NewReader(data), Path: "bench", Fingerprint: "x", Final: true}, Options{})
				if err != nil || res.Unmatched != 0 || res.Malformed != 0 {
					b.Fatalf("%d unmatched, %d malformed: %v", res.Unmatched, res.Malformed, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/line")
		})
	}
}
