package route

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCache(t *testing.T) {
	type op struct {
		put  bool
		path string
		v    CacheValue
	}
	type result struct {
		V  CacheValue
		OK bool
	}
	tests := []struct {
		name    string
		n       int
		ops     []op
		get     []string
		want    []result
		wantLen int
	}{
		{
			name:    "miss on empty",
			n:       4,
			get:     []string{"/a"},
			want:    []result{{}},
			wantLen: 0,
		},
		{
			name:    "put then get",
			n:       4,
			ops:     []op{{true, "/a", CacheValue{ID: 3}}, {true, "/b", CacheValue{ID: 0, Excluded: true}}},
			get:     []string{"/a", "/b", "/c"},
			want:    []result{{CacheValue{ID: 3}, true}, {CacheValue{Excluded: true}, true}, {}},
			wantLen: 2,
		},
		{
			name:    "overwrite does not clear",
			n:       2,
			ops:     []op{{true, "/a", CacheValue{ID: 1}}, {true, "/b", CacheValue{ID: 2}}, {true, "/a", CacheValue{ID: 5}}},
			get:     []string{"/a", "/b"},
			want:    []result{{CacheValue{ID: 5}, true}, {CacheValue{ID: 2}, true}},
			wantLen: 2,
		},
		{
			name:    "cleared when full",
			n:       2,
			ops:     []op{{true, "/a", CacheValue{ID: 1}}, {true, "/b", CacheValue{ID: 2}}, {true, "/c", CacheValue{ID: 3}}},
			get:     []string{"/a", "/b", "/c"},
			want:    []result{{}, {}, {CacheValue{ID: 3}, true}},
			wantLen: 1,
		},
		{
			name:    "zero size holds nothing",
			n:       0,
			ops:     []op{{true, "/a", CacheValue{ID: 1}}},
			get:     []string{"/a"},
			want:    []result{{}},
			wantLen: 0,
		},
		{
			name:    "negative size holds nothing",
			n:       -1,
			ops:     []op{{true, "/a", CacheValue{ID: 1}}},
			get:     []string{"/a"},
			want:    []result{{}},
			wantLen: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(tc.n)
			for _, o := range tc.ops {
				c.Put([]byte(o.path), o.v)
			}
			var got []result
			for _, p := range tc.get {
				v, ok := c.Get([]byte(p))
				got = append(got, result{v, ok})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Get results mismatch (-want +got):\n%s", diff)
			}
			if c.Len() != tc.wantLen {
				t.Errorf("Len() = %d, want %d", c.Len(), tc.wantLen)
			}
		})
	}
}

func TestCacheCopiesKey(t *testing.T) {
	c := NewCache(4)
	buf := []byte("/a/1")
	c.Put(buf, CacheValue{ID: 7})
	copy(buf, "/b/2")
	if v, ok := c.Get([]byte("/a/1")); !ok || v.ID != 7 {
		t.Errorf("Get(/a/1) = (%+v, %v) after reusing the key buffer, want ({ID:7}, true)", v, ok)
	}
	if _, ok := c.Get(buf); ok {
		t.Errorf("Get(/b/2) hit, want miss")
	}
}

func TestCacheGetNoAlloc(t *testing.T) {
	c := NewCache(16)
	hit := []byte("/api/users/12345")
	miss := []byte("/api/users/67890")
	c.Put(hit, CacheValue{ID: 1})
	if allocs := testing.AllocsPerRun(100, func() {
		c.Get(hit)
		c.Get(miss)
	}); allocs != 0 {
		t.Errorf("Get allocated %v times, want 0", allocs)
	}
}
