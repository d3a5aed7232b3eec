package logformat

import (
	"bytes"
	"testing"
)

const criIngressLine = "2023-11-14T22:13:20.123456789Z stdout F " + ingressLine

func benchmarkUnwrap(b *testing.B, w Wrapper, line string) {
	u := NewUnwrapper(w)
	buf := []byte(line)
	if _, _, ok, err := u.Line(buf); !ok || err != nil {
		b.Fatalf("Line: %v, %v", ok, err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, _, ok, _ := u.Line(buf); !ok {
			b.Fatal("not a whole line")
		}
	}
}

// BenchmarkUnwrapCRI is the common case of a container log: one F line.
func BenchmarkUnwrapCRI(b *testing.B) { benchmarkUnwrap(b, WrapCRI, criIngressLine) }

// BenchmarkUnwrapDocker decodes a json-file line (the quotes of an access
// line are escaped, so it is decoded into the Unwrapper's buffer).
func BenchmarkUnwrapDocker(b *testing.B) {
	benchmarkUnwrap(b, WrapDocker, dockerLine(b, ingressLine+"\n", "stdout"))
}

// BenchmarkUnwrapCRIParts joins a line written as three parts.
func BenchmarkUnwrapCRIParts(b *testing.B) {
	const ts = "2023-11-14T22:13:20.123456789Z stdout "
	n := len(ingressLine) / 3
	lines := [][]byte{
		[]byte(ts + "P " + ingressLine[:n]),
		[]byte(ts + "P " + ingressLine[n:2*n]),
		[]byte(ts + "F " + ingressLine[2*n:]),
	}
	u := NewUnwrapper(WrapCRI)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			u.Line(l)
		}
	}
}

// BenchmarkCutCRI finds where a chunk of CRI lines may be cut, as ingest's
// reader does for every chunk before handing it to a worker; per line.
func BenchmarkCutCRI(b *testing.B) {
	data := bytes.Repeat([]byte(criIngressLine+"\n"), 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if end, _, _ := WrapCRI.Cut(data, 0); end != len(data) {
			b.Fatal(end)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/line")
}

func BenchmarkParseIngressNginx(b *testing.B) {
	benchmarkParse(b, mustPreset(b, "ingress-nginx"), ingressLine)
}

// BenchmarkParseIngressNginxNeed is the ingress-nginx preset with what
// ingest uses on it.
func BenchmarkParseIngressNginxNeed(b *testing.B) {
	p := mustPreset(b, "ingress-nginx")
	p.Need(ingestNeeds...)
	benchmarkParse(b, p, ingressLine)
}

// BenchmarkUnwrapParseCRI is a CRI-wrapped ingress-nginx line unwrapped
// and parsed, as ingest does it.
func BenchmarkUnwrapParseCRI(b *testing.B) {
	p := mustPreset(b, "ingress-nginx")
	p.Need(ingestNeeds...)
	u := NewUnwrapper(WrapCRI)
	line := []byte(criIngressLine)
	var r Record
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		text, _, _, _ := u.Line(line)
		if err := p.Parse(text, &r); err != nil {
			b.Fatal(err)
		}
	}
}
