package route

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

type templateCase struct {
	name string
	path string
	want string
}

func runTemplateCases(t *testing.T, tp *Templater, cases []templateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(tp.Template(nil, []byte(tc.path)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Template(%q) mismatch (-want +got):\n%s", tc.path, diff)
			}
		})
	}
}

func TestTemplateNormalisation(t *testing.T) {
	runTemplateCases(t, NewTemplater(nil), []templateCase{
		{"empty", "", "-"},
		{"root", "/", "/"},
		{"only slashes", "///", "/"},
		{"plain", "/api/users", "/api/users"},
		{"repeated slashes collapse", "//api///users", "/api/users"},
		{"trailing slash kept", "/a/", "/a/"},
		{"repeated trailing slashes collapse", "/a//b//", "/a/b/"},
		{"query dropped", "/a?b=1&c=2", "/a"},
		{"fragment dropped", "/a#top", "/a"},
		{"query then fragment", "/a/?b#c", "/a/"},
		{"only a query", "?x=1", "-"},
		{"query holding a slash", "/a?next=/b/1", "/a"},
		{"asterisk", "*", "*"},
		{"asterisk with junk", "*x", "-"},
		{"relative path", "foo/bar", "-"},
		{"authority form", "example.com:443", "-"},
		{"binary junk", "\x16\x03\x01\x02\x00", "-"},
		{"absolute form", "http://example.com/users/42?x=1", "/users/:id"},
		{"absolute form upper-case scheme and port", "HTTPS://example.com:8443/a/b", "/a/b"},
		{"absolute form with userinfo", "http://u:p@example.com/a", "/a"},
		{"absolute form without path", "https://example.com", "/"},
		{"absolute form query without path", "http://example.com?a=/b", "/"},
		{"absolute form trailing slash", "http://example.com/a/", "/a/"},
		{"scheme with plus", "svn+ssh://host/repo", "/repo"},
		{"scheme starting with a digit", "1http://host/x", "-"},
		{"single slash after scheme", "http:/x", "-"},
		{"network path stays a path", "//host/x", "/host/x"},
		{"dot segments stay", "/a/../b/./c", "/a/../b/./c"},
		{"percent-encoding kept", "/files/my%20file", "/files/my%20file"},
		{"template syntax stays", "/users/:id", "/users/:id"},
	})
}

func TestTemplateIdentifiers(t *testing.T) {
	runTemplateCases(t, NewTemplater(nil), []templateCase{
		// Rule 1: digits.
		{"digits", "/api/users/12345/orders", "/api/users/:id/orders"},
		{"single digit", "/page/0", "/page/:id"},
		{"long digits", "/n/123456789012345678901234567890123456", "/n/:id"},
		{"digits only segments", "/1/2/3", "/:id/:id/:id"},
		{"the brief's example", "/api/users/12345/orders/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f", "/api/users/:id/orders/:id"},

		// Rule 2: UUIDs.
		{"uuid lower", "/o/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f", "/o/:id"},
		{"uuid upper", "/o/9F8E7D6C-1B2A-4C3D-8E9F-0A1B2C3D4E5F", "/o/:id"},
		{"uuid without digits", "/o/deadbeef-dead-beef-dead-beefdeadbeef", "/o/:id"},
		{"uuid-like misplaced dashes without digits", "/o/deadbeefd-ead-beef-dead-beefdeadbeef", "/o/deadbeefd-ead-beef-dead-beefdeadbeef"},

		// Rule 3: hex.
		{"commit sha", "/c/3f786850e387550fdab836ed7e6dc881de23001b", "/c/:id"},
		{"short sha", "/c/3f786850", "/c/:id"},
		{"object id", "/o/507f1f77bcf86cd799439011", "/o/:id"},
		{"upper hex", "/o/DEADBEEF01", "/o/:id"},
		{"hex word with a digit", "/o/cafe0123", "/o/:id"},
		{"hex too short", "/c/3f78685", "/c/3f78685"},
		{"hex without digit", "/o/deadbeef", "/o/deadbeef"},
		{"hex word", "/o/facade", "/o/facade"},

		// Rule 4: prefixed numbers.
		{"underscore prefix", "/u/user_123", "/u/:id"},
		{"dash prefix", "/i/item-98765", "/i/:id"},
		{"upper prefix", "/o/ORD-00042", "/o/:id"},
		{"page-2 stays", "/blog/page-2", "/blog/page-2"},
		{"two digits stay", "/blog/page-12", "/blog/page-12"},
		{"trailing letter stays", "/u/user-123a", "/u/user-123a"},
		{"double separator stays", "/u/user__123", "/u/user__123"},
		{"two-word prefix stays", "/r/release-notes-2024", "/r/release-notes-2024"},

		// Rule 5: long tokens.
		{"base62 token", "/s/dQw4w9WgXcQabcdEF", "/s/:id"},
		{"base64url token", "/s/Zm9vYmFy_YmF6-cXV4eHl6", "/s/:id"},
		{"jwt", "/t/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "/t/:id"},
		{"stripe-like id", "/c/cus_NffrFeUfNV2Hib", "/c/:id"},
		{"padded base64", "/k/aGVsbG8gd29ybGQ1==", "/k/:id"},
		{"product slug with a mixed word", "/p/iphone15-pro-max-256gb", "/p/:id"},
		{"slug with a year", "/blog/2024-summer-sale", "/blog/2024-summer-sale"},
		{"longer slug with a year", "/blog/summer-sale-2024-edition", "/blog/summer-sale-2024-edition"},
		{"camel case words", "/api/getUserAccountSettings", "/api/getUserAccountSettings"},
		{"letters only", "/a/abcdefghijklmnopqrstu", "/a/abcdefghijklmnopqrstu"},
		{"mixed but short", "/a/abc123xyz", "/a/abc123xyz"},
		{"mixed run too short", "/a/release-2024q1-notes", "/a/release-2024q1-notes"},
		{"percent not a token char", "/a/abc%2Bdef123456789xyz", "/a/abc%2Bdef123456789xyz"},

		// Rule 6: long segments with a digit.
		{"long slug with digit", "/blog/this-is-a-very-long-slug-from-2024-ok", "/blog/:id"},
		{"long with odd characters", "/q/a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:1", "/q/:id"},
		{"long without digits stays", "/blog/a-very-long-slug-without-any-digits-at-all", "/blog/a-very-long-slug-without-any-digits-at-all"},
		{"31 runes with a digit stay", "/q/" + strings.Repeat("é", 30) + "1", "/q/" + strings.Repeat("é", 30) + "1"},
		{"32 runes with a digit", "/q/" + strings.Repeat("é", 31) + "1", "/q/:id"},

		// Short letter+digit words stay.
		{"api version", "/v1/users", "/v1/users"},
		{"api version 10", "/api/v10/users", "/api/v10/users"},
		{"s3", "/s3/bucket", "/s3/bucket"},
		{"x1000", "/p/x1000", "/p/x1000"},

		// File extensions.
		{"digits with extension", "/img/12345.jpg", "/img/:id.jpg"},
		{"hex with extension", "/a/9f8e7d6c5b4a.png", "/a/:id.png"},
		{"uuid with extension", "/d/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f.json", "/d/:id.json"},
		{"tile", "/tiles/12/2048/1361.png", "/tiles/:id/:id/:id.png"},
		{"digit in extension", "/v/123.mp4", "/v/:id.mp4"},
		{"static file", "/static/app.js", "/static/app.js"},
		{"static file with hash-less name", "/static/main.bundle.css", "/static/main.bundle.css"},
		{"version", "/releases/v1.2", "/releases/v1.2"},
		{"dotted version", "/releases/1.2.3", "/releases/1.2.3"},
		{"decimal", "/price/12.50", "/price/12.50"},
		{"double extension", "/dl/12345.tar.gz", "/dl/12345.tar.gz"},
		{"extension too long", "/dl/12345.verylongext", "/dl/12345.verylongext"},
		{"dot file", "/.env", "/.env"},
		{"trailing dot", "/x/12345.", "/x/12345."},
	})
}

func TestTemplateUTF8(t *testing.T) {
	runTemplateCases(t, NewTemplater(nil), []templateCase{
		{"valid non-ascii", "/café/12", "/café/:id"},
		{"emoji", "/😀/a", "/😀/a"},
		{"invalid byte", "/a\xffb", "/a\uFFFDb"},
		{"two invalid bytes", "/\xff\xfe", "/\uFFFD\uFFFD"},
		{"truncated sequence", "/a\xe2\x82", "/a\uFFFD\uFFFD"},
		{"surrogate half", "/a\xed\xa0\x80b", "/a\uFFFD\uFFFD\uFFFDb"},
		{"invalid in digits", "/12\xff34", "/12\uFFFD34"},
		{"invalid in query dropped", "/a?\xff", "/a"},
		{"encoded replacement char kept", "/a\uFFFD", "/a\uFFFD"},
		{"long with invalid bytes and digit", "/q/" + strings.Repeat("\xff", 31) + "1", "/q/:id"},
		{"31 invalid bytes and a digit stay", "/q/" + strings.Repeat("\xff", 30) + "1", "/q/" + strings.Repeat("\uFFFD", 30) + "1"},
	})
}

func TestTemplateTruncation(t *testing.T) {
	long := strings.Repeat("x", 300)
	segs := strings.Repeat("/abcdefghi", 30) // 300 bytes, a '/' every 10
	exact := "/" + strings.Repeat("y", MaxLen-1)
	runTemplateCases(t, NewTemplater(nil), []templateCase{
		{"cut at segment boundary", "/a/b/" + long, "/a/b/…"},
		{"cut within first segment", "/" + long, "/" + strings.Repeat("x", MaxLen-4) + "…"},
		{"cut on a rune boundary", "/" + strings.Repeat("é", 200), "/" + strings.Repeat("é", 126) + "…"},
		{"many segments", segs, strings.Repeat("/abcdefghi", 25) + "/…"},
		{"exactly MaxLen kept", exact, exact},
		{"MaxLen plus trailing slash", exact + "/", exact[:MaxLen-3] + "…"},
		{"long path of ids", strings.Repeat("/123", 100), strings.Repeat("/:id", 63) + "/…"},
		{"long id segment is no problem", "/a/" + strings.Repeat("1", 1000), "/a/:id"},
		{"invalid bytes expand past MaxLen", "/" + strings.Repeat("\xff", 100), "/" + strings.Repeat("\uFFFD", 84) + "…"},
	})
}

func TestTemplateRules(t *testing.T) {
	rules := []Rule{
		{Match: regexp.MustCompile(`^/healthz$`), Template: "/health"},
		{Match: regexp.MustCompile(`^/shop/([^/]+)/cart/\d+$`), Template: "/shop/$1/cart/:n"},
		{Match: regexp.MustCompile(`^/t/(?P<tenant>[a-z]+)/`), Template: "/t/${tenant}/*"},
		{Match: regexp.MustCompile(`^/v1/users/\d+$`), Template: "/v1/users/{user}"},
		{Match: regexp.MustCompile(`^/v1/users/`), Template: "/v1/users/never"},
		{Match: regexp.MustCompile(`^/raw/(.*)$`), Template: "/raw/$1"},
		{Match: regexp.MustCompile(`^/gone$`), Template: "$nothing"},
		{Match: nil, Template: "/ignored"},
		{Match: regexp.MustCompile(`^\*$`), Template: "OPTIONS *"},
		{Match: regexp.MustCompile(`^/big/`), Template: "/big/" + strings.Repeat("z", 300)},
		{Match: regexp.MustCompile(`unanchored`), Template: "/found"},
	}
	runTemplateCases(t, NewTemplater(rules), []templateCase{
		{"static rule", "/healthz", "/health"},
		{"rule sees path without query", "/healthz?probe=1", "/health"},
		{"rule sees absolute-form path", "http://h/healthz", "/health"},
		{"rule sees uncollapsed slashes", "//healthz", "/healthz"},
		{"numbered submatch", "/shop/acme/cart/42", "/shop/acme/cart/:n"},
		{"named submatch", "/t/globex/a/b/c", "/t/globex/*"},
		{"first matching rule wins", "/v1/users/42", "/v1/users/{user}"},
		{"second rule when first misses", "/v1/users/me", "/v1/users/never"},
		{"rule output is verbatim", "/raw//a/12345/", "/raw//a/12345/"},
		{"rule output made valid", "/raw/\xff", "/raw/\uFFFD"},
		{"empty expansion", "/gone", "-"},
		{"rule on asterisk", "*", "OPTIONS *"},
		{"rule output truncated", "/big/x", "/big/…"},
		{"unanchored rule", "/a/unanchored/b", "/found"},
		{"no rule falls back to auto", "/orders/123", "/orders/:id"},
		{"empty path never reaches rules", "", "-"},
	})
}

func TestTemplateAppends(t *testing.T) {
	tp := NewTemplater(nil)
	dst := []byte("prefix ")
	got := string(tp.Template(dst, []byte("/a/"+strings.Repeat("b", 400))))
	want := "prefix /a/…"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Template with a prefix mismatch (-want +got):\n%s", diff)
	}
}

// idempotentPaths are inputs whose templates must template to themselves.
var idempotentPaths = []string{
	"", "/", "*", "-", "x", "/a/", "/a//b/", "/users/123/orders/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
	"/img/12345.jpg", "/a\xff", "/q/" + strings.Repeat("\xff", 30) + "1", "/" + strings.Repeat("x", 300),
	"/a/" + strings.Repeat("x", 300), strings.Repeat("/123", 100), "/" + strings.Repeat("\xff", 100),
	"http://h", "/blog/2024-summer-sale", "/:id.json/:id",
}

func TestTemplateIdempotent(t *testing.T) {
	tp := NewTemplater(nil)
	for _, p := range idempotentPaths {
		once := tp.Template(nil, []byte(p))
		twice := tp.Template(nil, once)
		if diff := cmp.Diff(string(once), string(twice)); diff != "" {
			t.Errorf("Template(Template(%q)) mismatch (-once +twice):\n%s", p, diff)
		}
	}
}

func TestTemplateNoAlloc(t *testing.T) {
	paths := [][]byte{
		[]byte("/api/users/12345/orders/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f?x=1"),
		[]byte("/static/app.js"),
		[]byte("/img/12345.jpg"),
		[]byte("http://example.com/a/b"),
		[]byte("/caf\xc3\xa9/\xff/x"),
		[]byte("/" + strings.Repeat("x", 5000)),
		[]byte(strings.Repeat("/abcdefghi", 500)),
		[]byte("/" + strings.Repeat("\xff", 5000)),
		[]byte("/q/" + strings.Repeat("é", 40) + "1"),
		[]byte(""),
		[]byte("*"),
	}
	templaters := map[string]*Templater{"no rules": NewTemplater(nil)}
	if !raceEnabled {
		unmatched := []Rule{{Match: regexp.MustCompile(`^/never/(\d+)$`), Template: "/never/$1"}}
		templaters["unmatched rule"] = NewTemplater(unmatched)
	}
	for name, tp := range templaters {
		dst := make([]byte, 0, Spare)
		allocs := testing.AllocsPerRun(100, func() {
			for _, p := range paths {
				dst = tp.Template(dst[:0], p)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Template allocated %v times per run, want 0", name, allocs)
		}
	}
}

func TestTemplateOutputBounds(t *testing.T) {
	tp := NewTemplater(nil)
	for n := 240; n <= 270; n++ {
		for _, unit := range []string{"a", "/", "/1", "é", "\xff", "/ab", "😀"} {
			p := "/" + strings.Repeat(unit, n)
			out := tp.Template(nil, []byte(p))
			if len(out) > MaxLen || !utf8.Valid(out) {
				t.Fatalf("Template(%q) = %q: %d bytes, valid UTF-8 %v", p, out, len(out), utf8.Valid(out))
			}
		}
	}
}
