package route

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxLen is the maximum length in bytes of a template returned by
// [Templater.Template], ellipsis included.
const MaxLen = 256

// Spare is the spare capacity (cap(dst)-len(dst)) with which
// [Templater.Template] never allocates on the automatic path.
const Spare = MaxLen + 16

const (
	ellipsis    = "…"
	idSegment   = ":id"
	maxExtLen   = 8  // longest file extension kept after ":id."
	minHexLen   = 8  // rule 3
	minPrefDig  = 3  // rule 4
	minTokenLen = 16 // rule 5
	minRunLen   = 8  // rule 5: a mixed alphanumeric run
	minLongLen  = 32 // rule 6
)

// Rule overrides auto-templating: a path matching Match (Go regexp, anchored
// by the user if they want) becomes Template.
//
// Template may reference submatches like $1 / ${name} (regexp.Expand
// semantics). The expansion is used verbatim, except that invalid UTF-8 is
// replaced by U+FFFD and the result is truncated to [MaxLen] bytes; an empty
// expansion becomes "-".
type Rule struct {
	Match    *regexp.Regexp
	Template string
}

// Templater turns raw paths (no query string; the caller strips it, but be
// defensive and drop anything from '?' or '#') into templates.
//
// User rules are tried in order, the first match wins, and the automatic rules
// described in the package documentation apply when none matches. A Templater
// is immutable and safe for concurrent use.
type Templater struct {
	rules []compiledRule
}

type compiledRule struct {
	re       *regexp.Regexp
	template []byte
	expand   bool // template holds a '$'
}

// NewTemplater returns a Templater that tries rules, in order, before the
// automatic rules. Rules with a nil Match are ignored. The slice is copied.
func NewTemplater(rules []Rule) *Templater {
	t := &Templater{}
	for _, r := range rules {
		if r.Match == nil {
			continue
		}
		t.rules = append(t.rules, compiledRule{
			re:       r.Match,
			template: []byte(r.Template),
			expand:   strings.Contains(r.Template, "$"),
		})
	}
	return t
}

// Template appends the template for path to dst and returns it. Must not
// allocate when dst has capacity and no rule matches (auto path); rules may
// allocate.
//
// The appended template is valid UTF-8 of at most [MaxLen] bytes; on the
// automatic path [Spare] bytes of spare capacity are always enough. dst and
// path must not overlap. See the package documentation for the rules.
func (t *Templater) Template(dst, path []byte) []byte {
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if i := bytes.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if len(path) == 0 {
		return append(dst, '-')
	}
	if path[0] != '/' {
		if p, ok := absolutePath(path); ok {
			path = p
		}
	}
	for i := range t.rules {
		r := &t.rules[i]
		if r.re.Match(path) {
			return r.apply(dst, path)
		}
	}
	return autoTemplate(dst, path)
}

// apply appends the rule's expansion for path, which r.re matches.
func (r *compiledRule) apply(dst, path []byte) []byte {
	out := r.template
	if r.expand {
		m := r.re.FindSubmatchIndex(path)
		out = r.re.Expand(nil, r.template, path, m)
	}
	if len(out) == 0 {
		return append(dst, '-')
	}
	start := len(dst)
	dst = appendValid(dst, out, start)
	return truncate(dst, start)
}

// absolutePath returns the path of an absolute-form request target
// (scheme://authority/path), or "/" when it has none. ok is false when p is
// not in absolute form.
func absolutePath(p []byte) (path []byte, ok bool) {
	// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
	if len(p) == 0 || !isLetter(p[0]) {
		return nil, false
	}
	i := 1
	for i < len(p) && (isLetter(p[i]) || isDigit(p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.') {
		i++
	}
	if !bytes.HasPrefix(p[i:], []byte("://")) {
		return nil, false
	}
	rest := p[i+3:]
	if j := bytes.IndexByte(rest, '/'); j >= 0 {
		return rest[j:], true
	}
	return p[i+1 : i+2], true // the first '/' of "://"
}

// autoTemplate appends the automatic template of path, which has no query or
// fragment and is not empty.
func autoTemplate(dst, path []byte) []byte {
	if path[0] != '/' {
		if len(path) == 1 && path[0] == '*' {
			return append(dst, '*')
		}
		return append(dst, '-')
	}
	start := len(dst)
	segments := 0
	for i := 0; i < len(path); {
		if path[i] == '/' {
			i++
			continue
		}
		j := i + 1
		for j < len(path) && path[j] != '/' {
			j++
		}
		seg := path[i:j]
		i = j
		segments++
		dst = append(dst, '/')
		switch isID, ext, ascii := classify(seg); {
		case isID:
			dst = append(dst, idSegment...)
			dst = append(dst, ext...)
		case ascii:
			dst = append(dst, seg[:min(len(seg), MaxLen+1-(len(dst)-start))]...)
		default:
			dst = appendValid(dst, seg, start)
		}
		if len(dst)-start > MaxLen {
			// Whatever follows is cut off by truncate.
			return truncate(dst, start)
		}
	}
	if segments == 0 || path[len(path)-1] == '/' {
		dst = append(dst, '/')
	}
	return truncate(dst, start)
}

// appendValid appends s to dst with each invalid UTF-8 byte replaced by
// U+FFFD. It stops early, on a rune boundary, once dst[start:] is longer than
// MaxLen, since truncate cuts there anyway.
func appendValid(dst, s []byte, start int) []byte {
	for len(s) > 0 {
		if len(dst)-start > MaxLen {
			return dst
		}
		// Copy the longest ASCII run at once.
		n := 0
		for n < len(s) && s[n] < utf8.RuneSelf {
			n++
		}
		if n > 0 {
			if room := MaxLen + 1 - (len(dst) - start); n > room {
				n = room
			}
			dst = append(dst, s[:n]...)
			s = s[n:]
			continue
		}
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[:size]...)
		}
		s = s[size:]
	}
	return dst
}

// truncate shortens dst[start:], valid UTF-8, to at most MaxLen bytes.
func truncate(dst []byte, start int) []byte {
	out := dst[start:]
	if len(out) <= MaxLen {
		return dst
	}
	keep := MaxLen - len(ellipsis)
	if i := bytes.LastIndexByte(out[:keep], '/'); i > 0 {
		keep = i + 1
	} else {
		for keep > 0 && !utf8.RuneStart(out[keep]) {
			keep--
		}
	}
	return append(dst[:start+keep], ellipsis...)
}

// classify reports whether seg is an identifier segment and, if it is one
// with a file extension, the extension including its dot. ascii reports
// whether seg is all ASCII.
func classify(seg []byte) (isID bool, ext []byte, ascii bool) {
	info := scanSegment(seg)
	ascii = info.seen&cHigh == 0
	if info.seen&cDot != 0 {
		if d := bytes.LastIndexByte(seg, '.'); d > 0 && isExtension(seg[d+1:]) {
			stem := seg[:d]
			if scanSegment(stem).isIdentifier(stem) {
				return true, seg[d:], ascii
			}
		}
	}
	return info.isIdentifier(seg), nil, ascii
}

// isExtension reports whether e is 1 to maxExtLen ASCII letters and digits
// with at least one letter.
func isExtension(e []byte) bool {
	if len(e) == 0 || len(e) > maxExtLen {
		return false
	}
	letter := false
	for _, c := range e {
		k := charClass[c]
		if k&(cDigit|cLetter) == 0 {
			return false
		}
		letter = letter || k&cLetter != 0
	}
	return letter
}

// Character classes of charClass; every byte has at least one.
const (
	cDigit    = 1 << iota // 0-9; must be 1, see scanSegment
	cLetter               // A-Z a-z
	cHex                  // 0-9 A-F a-f
	cTokenSep             // - _ . ~ + =: separators allowed in a long token
	cDot                  // .
	cOther                // any other ASCII byte
	cHigh                 // not ASCII
)

// charClass maps a byte to its classes. It is never modified.
var charClass = makeCharClass()

func makeCharClass() (t [256]uint8) {
	for c := range 256 {
		switch {
		case '0' <= c && c <= '9':
			t[c] = cDigit | cHex
		case 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			t[c] = cLetter | cHex
		case 'g' <= c && c <= 'z', 'G' <= c && c <= 'Z':
			t[c] = cLetter
		case c == '.':
			t[c] = cTokenSep | cDot
		case c == '-', c == '_', c == '~', c == '+', c == '=':
			t[c] = cTokenSep
		case c >= utf8.RuneSelf:
			t[c] = cHigh
		default:
			t[c] = cOther
		}
	}
	return t
}

// segInfo is what one branch-free pass over a segment learns.
type segInfo struct {
	digits int   // number of ASCII digits
	all    uint8 // classes shared by every byte
	seen   uint8 // classes of at least one byte
}

func scanSegment(s []byte) segInfo {
	var (
		digits int
		all    uint8 = 0xff
		seen   uint8
	)
	for _, c := range s {
		k := charClass[c]
		all &= k
		seen |= k
		digits += int(k & cDigit)
	}
	return segInfo{digits: digits, all: all, seen: seen}
}

// isIdentifier applies rules 1 to 6 of the package documentation to s, whose
// scan is info.
func (info segInfo) isIdentifier(s []byte) bool {
	n := len(s)
	switch {
	case n == 0:
		return false
	case info.digits == n: // rule 1
		return true
	case n == 36 && isUUID(s): // rule 2
		return true
	case info.digits == 0: // every other rule needs a digit
		return false
	case info.all&cHex != 0 && n >= minHexLen: // rule 3
		return true
	case n >= minTokenLen && info.seen&(cOther|cHigh) == 0 && hasMixedRun(s): // rule 5
		return true
	case n >= minLongLen && hasRunes(s, minLongLen): // rule 6
		return true
	}
	return isPrefixedNumber(s) // rule 4
}

// hasMixedRun reports whether s has a maximal run of ASCII letters and
// digits at least minRunLen long that holds both a letter and a digit.
func hasMixedRun(s []byte) bool {
	var run, seen uint8
	for _, c := range s {
		k := charClass[c]
		if k&(cDigit|cLetter) == 0 {
			run, seen = 0, 0
			continue
		}
		run = min(run+1, minRunLen)
		seen |= k
		if run >= minRunLen && seen&cDigit != 0 && seen&cLetter != 0 {
			return true
		}
	}
	return false
}

// hasRunes reports whether s holds at least n runes, counting each invalid
// UTF-8 byte as one, like utf8.RuneCount (which allocates on long non-ASCII
// input).
func hasRunes(s []byte, n int) bool {
	for i := 0; i < n; i++ {
		if len(s) == 0 {
			return false
		}
		if s[0] < utf8.RuneSelf {
			s = s[1:]
			continue
		}
		_, size := utf8.DecodeRune(s)
		s = s[size:]
	}
	return true
}

// isPrefixedNumber reports whether s is letters, '-' or '_', then at least
// minPrefDig digits (rule 4).
func isPrefixedNumber(s []byte) bool {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	if i == 0 || i == len(s) || (s[i] != '-' && s[i] != '_') {
		return false
	}
	d := s[i+1:]
	if len(d) < minPrefDig {
		return false
	}
	for _, c := range d {
		if charClass[c]&cDigit == 0 {
			return false
		}
	}
	return true
}

// isUUID reports whether s is 8-4-4-4-12 hex digits separated by '-'.
func isUUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if charClass[c]&cHex == 0 {
				return false
			}
		}
	}
	return true
}

func isDigit(c byte) bool  { return charClass[c]&cDigit != 0 }
func isLetter(c byte) bool { return charClass[c]&cLetter != 0 }
