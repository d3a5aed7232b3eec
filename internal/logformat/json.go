package logformat

import "bytes"

// parseJSON parses a line written with a JSON template. Keys may come in any
// order; keys the template does not know are skipped, whatever their value.
func (p *Parser) parseJSON(line []byte, r *Record, st *state) error {
	i := skipJSONSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return p.errNotObject
	}
	_, err := p.jsonObject(line, i+1, p.root, r, st)
	return err
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// jsonObject parses the members of the object whose '{' precedes b[i] and
// returns the offset after its '}'. Recursion is bounded by the template's
// depth: objects the template does not describe are skipped iteratively.
func (p *Parser) jsonObject(b []byte, i int, n *jsonNode, r *Record, st *state) (int, error) {
	i = skipJSONSpace(b, i)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		i = skipJSONSpace(b, i)
		if i >= len(b) {
			return i, p.errTruncated
		}
		if b[i] != '"' {
			return i, p.errSyntax
		}
		end := jsonStringEnd(b, i+1)
		if end < 0 {
			return i, p.errTruncated
		}
		e := n.find(b[i+1 : end])
		if i = skipJSONSpace(b, end+1); i >= len(b) {
			return i, p.errTruncated
		}
		if b[i] != ':' {
			return i, p.errSyntax
		}
		if i = skipJSONSpace(b, i+1); i >= len(b) {
			return i, p.errTruncated
		}
		var err error
		if i, err = p.jsonValue(b, i, e, r, st); err != nil {
			return i, err
		}
		if i = skipJSONSpace(b, i); i >= len(b) {
			return i, p.errTruncated
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i + 1, nil
		default:
			return i, p.errSyntax
		}
	}
}

// jsonValue parses the value at b[i] for template entry e (nil for unknown
// keys) and returns the offset after it.
func (p *Parser) jsonValue(b []byte, i int, e *jsonEntry, r *Record, st *state) (int, error) {
	switch b[i] {
	case '"':
		end := jsonStringEnd(b, i+1)
		if end < 0 {
			return i, p.errTruncated
		}
		if e != nil && e.prog != nil {
			if err := p.run(e.prog, b[i+1:end], r, st); err != nil {
				return i, err
			}
		}
		return end + 1, nil
	case '{':
		if e != nil && e.child != nil {
			return p.jsonObject(b, i+1, e.child, r, st)
		}
		return p.skipComposite(b, i)
	case '[':
		return p.skipComposite(b, i)
	}
	var n int
	if e != nil && e.list {
		n = listLen(b[i:], 0, true)
	} else {
		n = bareLen(b[i:])
	}
	if n == 0 && b[i] != ',' && b[i] != '}' {
		return i, p.errSyntax
	}
	val := b[i : i+n] // empty for a missing value that nginx wrote unquoted
	if e != nil && e.prog != nil && string(val) != "null" {
		if err := p.run(e.prog, val, r, st); err != nil {
			return i, err
		}
	}
	return i + n, nil
}

// bareLen returns the length of the bare value (number, literal or, from a
// format without quotes, an unquoted nginx value) at the start of b.
func bareLen(b []byte) int {
	for i, c := range b {
		switch c {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return len(b)
}

// jsonStringEnd returns the offset of the '"' that ends the string whose
// contents start at b[i], or -1. A backslash escapes the byte after it.
func jsonStringEnd(b []byte, i int) int {
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		if !escaped(b[:j+1], j) {
			return j
		}
		i = j + 1
	}
}

// skipComposite skips the object or array that starts at b[i] and returns
// the offset after it. Brackets inside strings do not count.
func (p *Parser) skipComposite(b []byte, i int) (int, error) {
	end := compositeEnd(b, i)
	if end < 0 {
		return len(b), p.errTruncated
	}
	return end, nil
}

// compositeEnd returns the offset after the object or array that starts at
// b[i], or -1 when b ends first. Brackets inside strings do not count.
func compositeEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		case '"':
			end := jsonStringEnd(b, i+1)
			if end < 0 {
				return -1
			}
			i = end
		}
	}
	return -1
}
