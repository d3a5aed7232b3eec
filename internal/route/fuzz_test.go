package route

import (
	"bytes"
	"regexp"
	"testing"
	"unicode/utf8"
)

// FuzzTemplate checks that Template never panics, returns valid UTF-8 of at
// most MaxLen bytes, appends to dst, and, without user rules, is idempotent.
// The seed corpus lives in testdata/fuzz/FuzzTemplate.
func FuzzTemplate(f *testing.F) {
	auto := NewTemplater(nil)
	withRules := NewTemplater([]Rule{
		{Match: regexp.MustCompile(`^/r/([^/]*)/(?P<rest>.*)$`), Template: "/r/$1/${rest}"},
		{Match: regexp.MustCompile(`x{3}`), Template: "/xxx"},
	})
	f.Fuzz(func(t *testing.T, path []byte) {
		in := bytes.Clone(path)
		out := auto.Template(nil, path)
		if !bytes.Equal(in, path) {
			t.Fatalf("Template modified its input: %q became %q", in, path)
		}
		if !utf8.Valid(out) {
			t.Fatalf("Template(%q) = %q: invalid UTF-8", path, out)
		}
		if len(out) > MaxLen || len(out) == 0 {
			t.Fatalf("Template(%q) = %q: %d bytes", path, out, len(out))
		}
		if again := auto.Template(nil, out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: Template(%q) = %q, Template(%q) = %q", path, out, out, again)
		}
		prefixed := auto.Template([]byte("dst:"), path)
		if !bytes.Equal(prefixed, append([]byte("dst:"), out...)) {
			t.Fatalf("Template(dst:, %q) = %q, want dst:%q", path, prefixed, out)
		}
		ruled := withRules.Template(nil, path)
		if !utf8.Valid(ruled) || len(ruled) > MaxLen || len(ruled) == 0 {
			t.Fatalf("with rules, Template(%q) = %q (%d bytes)", path, ruled, len(ruled))
		}
		for _, n := range []int{0, 1, 31, 32, 33} {
			if got, want := hasRunes(path, n), utf8.RuneCount(path) >= n; got != want {
				t.Fatalf("hasRunes(%q, %d) = %v, want %v", path, n, got, want)
			}
		}
	})
}
