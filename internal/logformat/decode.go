package logformat

import (
	"bytes"
	"unicode/utf8"
)

// textOf returns a text value with nginx's escapes resolved. Values without
// a backslash are returned as is (aliasing the line); others are decoded
// into p's scratch buffer.
func (p *Parser) textOf(v []byte) []byte {
	if p.esc == EscapeNone || bytes.IndexByte(v, '\\') < 0 {
		return v // the common case, small enough to inline
	}
	return p.decode(v)
}

// decode is textOf for values that contain a backslash.
func (p *Parser) decode(v []byte) []byte {
	p.reserve(len(v))
	start := len(p.scratch)
	if p.esc == EscapeJSON {
		p.scratch = appendUnescapedJSON(p.scratch, v)
	} else {
		p.scratch = appendUnescapedDefault(p.scratch, v)
	}
	end := len(p.scratch)
	return p.scratch[start:end:end]
}

// reserve makes room for n more bytes in the scratch buffer. Decoding never
// lengthens a value, so reserving the value's length suffices. A new buffer
// is at least as long as the line, so one Parse grows it at most once;
// Records from earlier calls keep the old buffer alive.
func (p *Parser) reserve(n int) {
	if cap(p.scratch)-len(p.scratch) >= n {
		return
	}
	size := max(2*cap(p.scratch), p.lineLen, len(p.scratch)+n, 64)
	p.scratch = make([]byte, 0, size)
}

// appendUnescapedDefault appends s to dst, resolving the \xHH escapes of
// nginx's default escaping and the \" and \\ of older versions. Other
// backslashes are kept.
func appendUnescapedDefault(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		switch {
		case len(s) >= 4 && s[1] == 'x' && isHex(s[2]) && isHex(s[3]):
			dst = append(dst, unhex(s[2])<<4|unhex(s[3]))
			s = s[4:]
		case len(s) >= 2 && (s[1] == '"' || s[1] == '\\'):
			dst = append(dst, s[1])
			s = s[2:]
		default:
			dst = append(dst, '\\')
			s = s[1:]
		}
	}
	return dst
}

// appendUnescapedJSON appends s to dst, resolving JSON string escapes. \u
// escapes become UTF-8, surrogate pairs included; a lone surrogate becomes
// U+FFFD. Malformed escapes are kept as they are.
func appendUnescapedJSON(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		if len(s) < 2 {
			return append(dst, s...)
		}
		if c, ok := jsonEscape(s[1]); ok {
			dst = append(dst, c)
			s = s[2:]
			continue
		}
		if r, n := unicodeEscape(s); n > 0 {
			dst = utf8.AppendRune(dst, r)
			s = s[n:]
			continue
		}
		dst = append(dst, '\\')
		s = s[1:]
	}
	return dst
}

// jsonEscape resolves the single-character JSON escape \c.
func jsonEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// unicodeEscape decodes \uXXXX at the start of s, combining a surrogate pair
// written as two escapes. It returns the rune and the bytes consumed, or
// n == 0 when s does not start with a \u escape.
func unicodeEscape(s []byte) (r rune, n int) {
	r1, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if r1 >= 0xD800 && r1 < 0xDC00 {
		if r2, ok := hex4(s[6:]); ok && r2 >= 0xDC00 && r2 < 0xE000 {
			return 0x10000 + (r1-0xD800)<<10 + (r2 - 0xDC00), 12
		}
	}
	if r1 >= 0xD800 && r1 < 0xE000 {
		return utf8.RuneError, 6
	}
	return r1, 6
}

// hex4 decodes "\uXXXX" at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unhex returns the value of a hex digit that isHex accepted.
func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
