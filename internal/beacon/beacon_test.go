package beacon

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		vital string
		value float64
		want  string
	}{
		{LCP, 2500, Good},
		{LCP, 2500.1, NeedsImprovement},
		{LCP, 4000, NeedsImprovement},
		{LCP, 4001, Poor},
		{INP, 150, Good},
		{CLS, 0.1, Good},
		{CLS, 0.2, NeedsImprovement},
		{CLS, 0.3, Poor},
		{FCP, 1800, Good},
		{TTFB, 1800, NeedsImprovement},
		{TTFB, 1801, Poor},
	} {
		v, ok := Lookup(tc.vital)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing", tc.vital)
		}
		if got := v.Rate(tc.value); got != tc.want {
			t.Errorf("%s %v: rated %s, want %s", tc.vital, tc.value, got, tc.want)
		}
	}
}

func TestLookup(t *testing.T) {
	if diff := cmp.Diff([]string{"LCP", "INP", "CLS", "FCP", "TTFB"}, Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for _, v := range Vitals() {
		if got, ok := ForCode(v.Code); !ok || got != v {
			t.Errorf("ForCode(%d) = %+v, %v; want %+v", v.Code, got, ok, v)
		}
		if got, ok := Lookup(v.Name); !ok || got != v {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v", v.Name, got, ok, v)
		}
	}
	for _, code := range []int{CodePageView, CodeErrorView, CodeAPIOK, CodeAPIFailed, 0, 200} {
		if v, ok := ForCode(code); ok {
			t.Errorf("ForCode(%d) = %s, want no vital", code, v.Name)
		}
	}
	if _, ok := Lookup("lcp"); ok {
		t.Error("Lookup is case-insensitive; names are exact")
	}
	if cls, _ := Lookup(CLS); cls.Scale != CLSScale {
		t.Errorf("CLS scale %v, want %v", cls.Scale, CLSScale)
	}
}

func TestVitalsIsACopy(t *testing.T) {
	Vitals()[0].Name = "changed"
	if Vitals()[0].Name != LCP {
		t.Error("Vitals returned the package's own array")
	}
}

func TestBounds(t *testing.T) {
	// The good and poor bounds in histogram units: CLS's 0.1 and 0.25 are
	// 100 and 250.
	got := Bounds()
	slices.Sort(got)
	got = slices.Compact(got)
	want := []uint32{100, 200, 250, 500, 800, 1800, 2500, 3000, 4000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bounds (-want +got):\n%s", diff)
	}
}

// TestLeaf keeps the package a leaf: rum, sli, report and config all import
// it, so it must import none of headroom's packages.
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path := strings.Trim(imp.Path.Value, `"`); strings.HasPrefix(path, "github.com/headroom-slo/headroom/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
