package route

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type lookup struct {
	Template string
	ID       uint32
	Admitted bool
}

func lookups(r *Registry, templates ...string) []lookup {
	out := make([]lookup, 0, len(templates))
	for _, tmpl := range templates {
		id, ok := r.ID([]byte(tmpl))
		out = append(out, lookup{tmpl, id, ok})
	}
	return out
}

func names(r *Registry) []string {
	out := make([]string, r.Len())
	for i := range out {
		out[i] = r.Name(uint32(i))
	}
	return out
}

func TestRegistryFirstCome(t *testing.T) {
	tests := []struct {
		name       string
		limit      int
		existing   []string
		templates  []string
		want       []lookup
		wantNames  []string
		overflowed uint64
	}{
		{
			name:      "admits until the cap, no reserve below 10",
			limit:     3,
			templates: []string{"/a", "/b", "/a", "/c", "/d", "/b", "/e"},
			want: []lookup{
				{"/a", 1, true}, {"/b", 2, true}, {"/a", 1, true}, {"/c", 3, true},
				{"/d", 0, false}, {"/b", 2, true}, {"/e", 0, false},
			},
			wantNames:  []string{Other, "/a", "/b", "/c"},
			overflowed: 2,
		},
		{
			name:       "existing kept first",
			limit:      4,
			existing:   []string{"/x", "/y"},
			templates:  []string{"/a", "/y", "/x", "/b", "/c"},
			want:       []lookup{{"/a", 3, true}, {"/y", 2, true}, {"/x", 1, true}, {"/b", 4, true}, {"/c", 0, false}},
			wantNames:  []string{Other, "/x", "/y", "/a", "/b"},
			overflowed: 1,
		},
		{
			name:       "existing past the limit are all kept",
			limit:      2,
			existing:   []string{"/x", "/y", "/z"},
			templates:  []string{"/z", "/a"},
			want:       []lookup{{"/z", 3, true}, {"/a", 0, false}},
			wantNames:  []string{Other, "/x", "/y", "/z"},
			overflowed: 1,
		},
		{
			name:      "duplicates and other in existing keep their slots",
			limit:     10,
			existing:  []string{"/x", Other, "/x", "/y"},
			templates: []string{"/x", Other, "/y", "/new"},
			want:      []lookup{{"/x", 1, true}, {Other, 0, true}, {"/y", 4, true}, {"/new", 5, true}},
			wantNames: []string{Other, "/x", Other, "/x", "/y", "/new"},
		},
		{
			name:       "zero limit admits nothing",
			limit:      0,
			templates:  []string{"/a", Other, "/a"},
			want:       []lookup{{"/a", 0, false}, {Other, 0, true}, {"/a", 0, false}},
			wantNames:  []string{Other},
			overflowed: 2,
		},
		{
			name:       "negative limit admits nothing",
			limit:      -5,
			templates:  []string{"/a"},
			want:       []lookup{{"/a", 0, false}},
			wantNames:  []string{Other},
			overflowed: 1,
		},
		{
			name:      "empty template is a template",
			limit:     1,
			templates: []string{"", ""},
			want:      []lookup{{"", 1, true}, {"", 1, true}},
			wantNames: []string{Other, ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry(tc.limit, tc.existing)
			if diff := cmp.Diff(tc.want, lookups(r, tc.templates...)); diff != "" {
				t.Errorf("lookups mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantNames, names(r)); diff != "" {
				t.Errorf("names mismatch (-want +got):\n%s", diff)
			}
			if got := r.Overflowed(); got != tc.overflowed {
				t.Errorf("Overflowed() = %d, want %d", got, tc.overflowed)
			}
		})
	}
}

func TestRegistryName(t *testing.T) {
	r := NewRegistry(5, []string{"/a"})
	tests := []struct {
		id   uint32
		want string
	}{
		{0, Other},
		{1, "/a"},
		{2, ""},
		{^uint32(0), ""},
	}
	for _, tc := range tests {
		if got := r.Name(tc.id); got != tc.want {
			t.Errorf("Name(%d) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

// fill admits n distinct templates named /fill/<i>.
func fill(t *testing.T, r *Registry, n int) {
	t.Helper()
	for i := range n {
		if _, ok := r.ID(fmt.Appendf(nil, "/fill/%d", i)); !ok {
			t.Fatalf("fill: template %d not admitted", i)
		}
	}
}

func TestRegistryPromotion(t *testing.T) {
	// limit 20: 18 first-come slots, a reserve of 2.
	r := NewRegistry(20, nil)
	fill(t, r, 18)

	// A late template is counted, not admitted, until PromoteAfter sightings.
	for i := 1; i < PromoteAfter; i++ {
		if id, ok := r.ID([]byte("/late")); ok || id != 0 {
			t.Fatalf("sighting %d of /late: got (%d, %v), want (0, false)", i, id, ok)
		}
	}
	if id, ok := r.ID([]byte("/late")); !ok || id != 19 {
		t.Fatalf("sighting %d of /late: got (%d, %v), want (19, true)", PromoteAfter, id, ok)
	}
	if id, ok := r.ID([]byte("/late")); !ok || id != 19 {
		t.Fatalf("/late after promotion: got (%d, %v), want (19, true)", id, ok)
	}
	if got, want := r.Overflowed(), uint64(PromoteAfter-1); got != want {
		t.Errorf("Overflowed() = %d, want %d", got, want)
	}

	// A heavy template hidden in a long tail of one-offs, far more than the
	// candidate table holds, is promoted; none of the one-offs is.
	rng := rand.New(rand.NewPCG(1, 2))
	promoted := uint32(0)
	for i := 0; i < 20000 && promoted == 0; i++ {
		if rng.IntN(3) == 0 {
			if id, ok := r.ID([]byte("/heavy")); ok {
				promoted = id
			}
			continue
		}
		if id, ok := r.ID(fmt.Appendf(nil, "/tail/%d", i)); ok {
			t.Fatalf("one-off /tail/%d admitted with id %d", i, id)
		}
	}
	if promoted != 20 {
		t.Fatalf("/heavy promoted with id %d, want 20", promoted)
	}

	// The reserve is used up: nothing else gets in, however heavy.
	for range 3 * PromoteAfter {
		if id, ok := r.ID([]byte("/heavier")); ok || id != 0 {
			t.Fatalf("/heavier with a full registry: got (%d, %v), want (0, false)", id, ok)
		}
	}
	if got := r.Len(); got != 21 {
		t.Errorf("Len() = %d, want 21", got)
	}

	// Ids never move.
	for i := range 18 {
		name := fmt.Sprintf("/fill/%d", i)
		if id, ok := r.ID([]byte(name)); !ok || id != uint32(i+1) {
			t.Errorf("ID(%s) = (%d, %v), want (%d, true)", name, id, ok, i+1)
		}
	}
	want := []lookup{{"/late", 19, true}, {"/heavy", 20, true}, {Other, 0, true}}
	if diff := cmp.Diff(want, lookups(r, "/late", "/heavy", Other)); diff != "" {
		t.Errorf("lookups after promotion mismatch (-want +got):\n%s", diff)
	}
}

func TestRegistryReload(t *testing.T) {
	r := NewRegistry(20, nil)
	fill(t, r, 18)
	for range PromoteAfter {
		r.ID([]byte("/late"))
	}
	persisted := names(r)[1:]
	r2 := NewRegistry(20, persisted)
	if diff := cmp.Diff(names(r), names(r2)); diff != "" {
		t.Errorf("reloaded names mismatch (-old +new):\n%s", diff)
	}
	if id, ok := r2.ID([]byte("/late")); !ok || id != 19 {
		t.Errorf("reloaded ID(/late) = (%d, %v), want (19, true)", id, ok)
	}
}

func TestCandidatesBounds(t *testing.T) {
	// Space-saving guarantee: for each tracked key, count-err <= true count <= count.
	var c candidates
	c.init(16)
	rng := rand.New(rand.NewPCG(3, 4))
	truth := map[string]uint64{}
	for range 50000 {
		// Zipf-ish: small keys are frequent.
		k := fmt.Sprintf("k%d", int(rng.ExpFloat64()*20))
		truth[k]++
		lower := c.hit([]byte(k))
		e := c.items[c.index[k]]
		if lower != e.count-e.err {
			t.Fatalf("hit(%s) returned %d, entry says %d", k, lower, e.count-e.err)
		}
	}
	if len(c.items) != 16 || len(c.index) != 16 {
		t.Fatalf("table holds %d items, %d index entries, want 16", len(c.items), len(c.index))
	}
	for i, e := range c.items {
		if c.index[e.key] != i {
			t.Errorf("index[%s] = %d, want %d", e.key, c.index[e.key], i)
		}
		if tr := truth[e.key]; e.count-e.err > tr || tr > e.count {
			t.Errorf("%s: count %d err %d, true count %d", e.key, e.count, e.err, tr)
		}
		if l, r := 2*i+1, 2*i+2; (l < len(c.items) && c.items[l].count < e.count) || (r < len(c.items) && c.items[r].count < e.count) {
			t.Errorf("heap order broken at %d", i)
		}
	}
	if _, ok := c.index["k0"]; !ok {
		t.Errorf("most frequent key k0 not tracked")
	}
	c.remove([]byte("k0"))
	c.remove([]byte("absent"))
	if _, ok := c.index["k0"]; ok || len(c.items) != 15 {
		t.Errorf("remove(k0) left %d items, k0 tracked %v", len(c.items), ok)
	}
}

// TestRegistryConcurrent looks templates up from several goroutines at once,
// every lookup going to the registry: a template, once admitted, keeps its id
// on every later lookup (in this goroutine or another), no template gets two
// ids, and the cap holds.
func TestRegistryConcurrent(t *testing.T) {
	const (
		limit   = 50
		workers = 8
		perG    = 5000
	)
	r := NewRegistry(limit, []string{"/existing"})
	// admitted[g] holds the id goroutine g first saw each template admitted
	// with.
	admitted := make([]map[string]uint32, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			first := map[string]uint32{"/existing": 1}
			for i := range perG {
				var tmpl string
				switch {
				case i%10 == 0:
					tmpl = "/existing"
				case i >= perG/2 && i%10 <= 3:
					// Heavy templates that appear late, after the
					// first-come slots are gone: more than the reserve.
					tmpl = fmt.Sprintf("/late/%d", rng.IntN(limit/reserveDivisor+1))
				default:
					tmpl = fmt.Sprintf("/r/%d", int(rng.ExpFloat64()*100))
				}
				id, ok := r.ID([]byte(tmpl))
				if want, had := first[tmpl]; had {
					if !ok || id != want {
						t.Errorf("%s: admitted with id %d, a later lookup returned (%d, %v)", tmpl, want, id, ok)
					}
				} else if ok {
					first[tmpl] = id
				}
				if name := r.Name(id); ok && name != tmpl {
					t.Errorf("%s: id %d is named %q", tmpl, id, name)
				}
				_ = r.Len()
				_ = r.Overflowed()
			}
			admitted[g] = first
		}()
	}
	wg.Wait()

	n := r.Len()
	if n > limit+1 {
		t.Fatalf("Len() = %d, want at most %d", n, limit+1)
	}
	byName := map[string]uint32{}
	for id := range uint32(n) {
		name := r.Name(id)
		if _, dup := byName[name]; dup {
			t.Errorf("template %q has two ids", name)
		}
		byName[name] = id
	}
	// The run takes every path: first-come admission, promotion of late
	// heavy templates to the reserve, and overflow once the cap is reached.
	late := 0
	for name := range byName {
		if strings.HasPrefix(name, "/late/") {
			late++
		}
	}
	if n != limit+1 || late != limit/reserveDivisor || r.Overflowed() == 0 {
		t.Errorf("Len() = %d, %d late templates promoted, Overflowed() = %d: want the registry full (%d), the reserve (%d) taken by late templates, overflows",
			n, late, r.Overflowed(), limit+1, limit/reserveDivisor)
	}
	for g, first := range admitted {
		if len(first) < 2 { // "/existing" is there from the start
			t.Errorf("goroutine %d saw no template admitted", g)
		}
		for tmpl, id := range first {
			if want, ok := byName[tmpl]; !ok || want != id {
				t.Errorf("goroutine %d: %s got id %d, registry says %d (%v)", g, tmpl, id, want, ok)
			}
		}
	}
}

func TestRegistryNoAlloc(t *testing.T) {
	r := NewRegistry(3, []string{"/a/:id"})
	hit := []byte("/a/:id")
	if allocs := testing.AllocsPerRun(100, func() { r.ID(hit) }); allocs != 0 {
		t.Errorf("ID hit allocated %v times, want 0", allocs)
	}
	fill(t, r, 2)
	miss := []byte("/not/admitted")
	if allocs := testing.AllocsPerRun(100, func() { r.ID(miss) }); allocs != 0 {
		t.Errorf("ID miss on a full registry allocated %v times, want 0", allocs)
	}
}
