package push

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestRoundTrip: a batch's cells spelled out by NewCommit, encoded,
// decoded and turned back into a store batch keep every count and
// histogram bucket, with the agent as the node.
func TestRoundTrip(t *testing.T) {
	dims := map[string][]store.DimValue{"shop": {{}, {Host: "a", Route: "/x", Method: "GET", Status: 200}, {Host: "a", Route: "/x", Method: "GET", Status: 503}}}
	const minute = 1_790_000_040
	byService := map[string]map[int64]*cells.Cell{"shop": {minute: {Entries: []cells.Entry{
		{Dim: 1, Count: 5, Hist: cells.Hist{{Le: 25, N: 4}, {Le: cells.NoLatency, N: 1}}},
		{Dim: 2, Count: 2, Hist: cells.Hist{{Le: 1000, N: 2}}},
	}}}}
	c, err := NewCommit(7, byService, dims)
	if err != nil {
		t.Fatal(err)
	}
	body, err := Encode(&Push{Agent: "node-a", Instance: "i", Sent: time.Now(), Commits: []Commit{c}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(bytes.NewReader(body), func(s string) bool { return s == "shop" })
	if err != nil {
		t.Fatal(err)
	}
	b := p.Commits[0].Batch(p.Agent)
	got := map[store.DimValue]uint64{}
	for _, svc := range p.Commits[0].Services {
		for _, m := range svc.Minutes {
			for _, e := range m.Entries {
				got[store.DimValue{Host: e.Host, Route: e.Route, Method: e.Method, Status: e.Status, Node: p.Agent}] += e.Count
			}
		}
	}
	if len(got) != 2 || got[store.DimValue{Host: "a", Route: "/x", Method: "GET", Status: 503, Node: "node-a"}] != 2 || b.Empty() {
		t.Errorf("decoded %v", got)
	}
	if _, err := NewCommit(1, map[string]map[int64]*cells.Cell{"shop": {minute: {Entries: []cells.Entry{{Dim: 9, Count: 1}}}}}, dims); err == nil {
		t.Error("a dimension the dictionary does not have was spelled out")
	}
}

// TestDecodeRefusesBombs: a gzip bomb stops at the limit (MaxContent for
// Decode; 4 MiB here, to keep the test quick).
func TestDecodeRefusesBombs(t *testing.T) {
	const limit = 4 << 20
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"agent":"a","instance":"i","commits":[{"seq":1,"services":[{"name":"`))
	zero := bytes.Repeat([]byte("a"), 1<<20)
	for range limit/len(zero) + 1 {
		zw.Write(zero)
	}
	zw.Close()
	_, err := decode(&buf, func(string) bool { return true }, limit)
	if !errors.Is(err, ErrBad) || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a %d-byte bomb: %v", buf.Len(), err)
	}
}

// FuzzDecode: Decode never panics, and what it accepts holds the
// invariants a server relies on (known services, minute starts, counts
// equal to their histograms, increasing sequence numbers).
func FuzzDecode(f *testing.F) {
	good, _ := Encode(&Push{Agent: "node-a", Instance: "i", Commits: []Commit{{Seq: 1, Services: []Service{{Name: "shop", Minutes: []Minute{{Start: 1_790_000_040, Entries: []Entry{{Host: "a", Route: "/", Method: "GET", Status: 200, Count: 2, Hist: [][2]uint64{{25, 2}}}}}}}}}}})
	f.Add(good)
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, body []byte) {
		// Fuzz the JSON inside as well as the gzip around it.
		for _, in := range [][]byte{body, gz(body)} {
			p, err := Decode(bytes.NewReader(in), func(s string) bool { return s == "shop" })
			if err != nil {
				if !errors.Is(err, ErrBad) {
					t.Fatalf("an error not ErrBad: %v", err)
				}
				continue
			}
			last := int64(0)
			for _, c := range p.Commits {
				if c.Seq <= last {
					t.Fatalf("seq %d after %d accepted", c.Seq, last)
				}
				last = c.Seq
				for _, s := range c.Services {
					if s.Name != "shop" {
						t.Fatalf("service %q accepted", s.Name)
					}
					for _, m := range s.Minutes {
						if m.Start%60 != 0 {
							t.Fatalf("start %d accepted", m.Start)
						}
						for _, e := range m.Entries {
							var n uint64
							for _, h := range e.Hist {
								n += h[1]
							}
							if n != e.Count {
								t.Fatalf("count %d with histogram %v accepted", e.Count, e.Hist)
							}
						}
					}
				}
				c.Batch(p.Agent) // never panics
			}
		}
	})
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}
