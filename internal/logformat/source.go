package logformat

import "strings"

// source is a format after nginx.conf unquoting, with the byte offset in the
// original input of every byte of text (and one past the end), so that
// compile errors can point into what the user wrote.
type source struct {
	text string
	pos  []int
}

// at returns the input offset of text[i].
func (s *source) at(i int) int {
	if i < 0 {
		return 0
	}
	if i >= len(s.pos) {
		return s.pos[len(s.pos)-1]
	}
	return s.pos[i]
}

// isConfSpace reports whether c separates tokens in nginx.conf.
func isConfSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// bareSource returns in, trimmed of surrounding white space, as the format.
func bareSource(in string) source {
	start, end := 0, len(in)
	for start < end && isConfSpace(in[start]) {
		start++
	}
	for end > start && isConfSpace(in[end-1]) {
		end--
	}
	pos := make([]int, end-start+1)
	for i := range pos {
		pos[i] = start + i
	}
	return source{text: in[start:end], pos: pos}
}

// segmentSource parses in as the arguments of a log_format directive: quoted
// strings (and, when in starts with a single quote, unquoted words) separated
// by white space, optionally ending with ';'. As nginx does, it concatenates
// them and resolves the escapes \" \' \\ \t \r \n inside quotes. It reports
// false when in is not such a list.
//
// A bare format may also start with a double quote (`"$request" $status`),
// so sure reports whether in is unmistakably nginx.conf syntax: it starts
// with a single quote, ends with ';', uses an escape, or spans several lines.
func segmentSource(in string) (src source, sure, ok bool) {
	var b strings.Builder
	var pos []int
	i := skipConfSpace(in, 0)
	if i == len(in) || (in[i] != '\'' && in[i] != '"') {
		return source{}, false, false
	}
	words := in[i] == '\''
	sure = words || strings.Contains(in[i:], "\n")
	for i < len(in) {
		c := in[i]
		switch {
		case c == ';':
			if skipConfSpace(in, i+1) != len(in) {
				return source{}, false, false
			}
			i, sure = len(in), true
			continue
		case c == '\'' || c == '"':
			end, escapes, ok := appendQuoted(&b, &pos, in, i)
			if !ok {
				return source{}, false, false
			}
			i, sure = end, sure || escapes
		case words:
			i = appendWord(&b, &pos, in, i)
		default:
			return source{}, false, false
		}
		if i < len(in) && !isConfSpace(in[i]) && in[i] != ';' {
			return source{}, false, false
		}
		i = skipConfSpace(in, i)
	}
	pos = append(pos, len(in))
	return source{text: b.String(), pos: pos}, sure, true
}

func skipConfSpace(s string, i int) int {
	for i < len(s) && isConfSpace(s[i]) {
		i++
	}
	return i
}

// appendQuoted appends the quoted string starting at in[i] and returns the
// offset after its closing quote and whether it used an escape.
func appendQuoted(b *strings.Builder, pos *[]int, in string, i int) (end int, escapes, ok bool) {
	q := in[i]
	for j := i + 1; j < len(in); j++ {
		c := in[j]
		switch {
		case c == q:
			return j + 1, escapes, true
		case c == '\\' && j+1 < len(in):
			d, ok := confEscape(in[j+1])
			if !ok {
				break
			}
			b.WriteByte(d)
			*pos = append(*pos, j)
			j++
			escapes = true
			continue
		}
		b.WriteByte(c)
		*pos = append(*pos, j)
	}
	return 0, escapes, false
}

// confEscape resolves the escapes nginx.conf recognises in quoted strings.
func confEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\'', '\\':
		return c, true
	case 't':
		return '\t', true
	case 'r':
		return '\r', true
	case 'n':
		return '\n', true
	}
	return 0, false
}

// appendWord appends the unquoted word starting at in[i] and returns the
// offset after it.
func appendWord(b *strings.Builder, pos *[]int, in string, i int) int {
	for ; i < len(in); i++ {
		c := in[i]
		if isConfSpace(c) || c == ';' || c == '\'' || c == '"' {
			break
		}
		b.WriteByte(c)
		*pos = append(*pos, i)
	}
	return i
}
