package logformat

import (
	"strconv"
	"strings"
)

// item is a piece of a format: a literal, or a variable when name is set.
type item struct {
	lit  string
	name string // variable name as written, without $ and braces
	pos  int    // offset in source.text
}

// scanKind selects how the end of a variable's value is found in a line.
type scanKind uint8

const (
	scanDelim     scanKind = iota // up to the next occurrence of the literal
	scanTimeLocal                 // fixed width, 26 bytes
	scanTimeISO                   // 20 or 25 bytes (more with a fraction)
	scanList                      // an upstream list, "a, b : c"
	scanStatus                    // fixed width, 3 bytes
)

// step parses one variable and the literal that follows it.
type step struct {
	v      Var
	kind   scanKind
	quoted bool   // lit starts with '"' and a backslash-escaped '"' does not end the value
	shaped bool   // the value has a shape (time, status, number, list): text after it shows
	lit    []byte // the literal after the variable; empty for the last variable
	stop   byte   // for scanList: first byte of lit, which also ends an element

	errValue   *ParseError // the value is malformed
	errLit     *ParseError // lit does not follow the value
	errMissing *ParseError // the line ends before the value
}

// program is a compiled text format: a leading literal, then steps.
type program struct {
	lead    []byte
	errLead *ParseError
	steps   []step
	// line is set for a whole line's format (not a JSON value's): the line
	// must end where the format does, but for trailing spaces.
	line        bool
	errTrailing *ParseError // text after the end of the format
}

// Compile compiles an nginx log_format for parsing lines written with it.
//
// The format may be given bare or as pasted from nginx.conf: one or more
// quoted strings separated by white space (and optionally a final ';'), which
// are concatenated as nginx does. As a bare format may start with a double
// quote too (`"$request" $status`), double-quoted input is read as nginx.conf
// syntax only when it ends with ';', uses a \" style escape or spans several
// lines; single-quoted input always is. Variables are $name or ${name}. Two
// variables must be separated by a literal. A format that starts with '{' is
// a JSON template (see the package documentation). Errors are *CompileError.
func Compile(format string, esc Escape) (*Parser, error) {
	if esc < EscapeDefault || esc > EscapeNone {
		return nil, &CompileError{Pos: 0, Msg: "unknown escape " + esc.String()}
	}
	trimmed := strings.TrimLeft(format, " \t\r\n")
	src, sure, ok := segmentSource(format)
	switch {
	case ok && sure:
		p, err := compileSource(src, esc)
		if err == nil || strings.HasPrefix(trimmed, "'") {
			return p, err
		}
		// `"$request" "-" "$http_user_agent"` reads both ways: fall back
		// to the bare reading before giving up.
		if p2, err2 := compileSource(bareSource(format), esc); err2 == nil {
			return p2, nil
		}
		return nil, err
	case strings.HasPrefix(trimmed, "'"):
		return nil, &CompileError{Pos: len(format) - len(trimmed), Msg: "unterminated or malformed quoted string"}
	}
	return compileSource(bareSource(format), esc)
}

// compileSource compiles an unquoted format.
func compileSource(src source, esc Escape) (*Parser, error) {
	text := strings.TrimSpace(src.text)
	if text == "" {
		return nil, &CompileError{Pos: 0, Msg: "empty format"}
	}
	p := &Parser{esc: esc, emptyUnset: esc == EscapeJSON}
	if text[0] == '{' {
		p.emptyUnset = true
		off := strings.Index(src.text, text)
		if err := p.compileJSON(src, off); err != nil {
			return nil, err
		}
		return p, nil
	}
	items, err := tokenize(src, 0, len(src.text))
	if err != nil {
		return nil, err
	}
	prog, has, err := buildProgram(src, items, esc, "line")
	if err != nil {
		return nil, err
	}
	if prog == nil {
		return nil, &CompileError{Pos: src.at(0), Msg: "format has no variables"}
	}
	prog.line = true
	prog.errTrailing = newParseError(VarNone, "unexpected text after the end of the format (it ends with "+strings.TrimSpace(formatEnd(items))+")")
	p.text = *prog
	p.has = has
	return p, nil
}

// formatEnd returns how a format's items end, for errors: its last variable
// and the literal after it.
func formatEnd(items []item) string {
	end := ""
	for i := len(items) - 1; i >= 0; i-- {
		if items[i].name != "" {
			return "$" + items[i].name + end
		}
		end = items[i].lit
	}
	return end
}

// tokenize splits src.text[start:end] into literals and variables.
func tokenize(src source, start, end int) ([]item, error) {
	s := src.text[:end]
	var items []item
	litStart := start
	for i := start; i < len(s); {
		if s[i] != '$' {
			i++
			continue
		}
		if i > litStart {
			items = append(items, item{lit: s[litStart:i], pos: litStart})
		}
		name, next, err := varName(src, s, i)
		if err != nil {
			return nil, err
		}
		items = append(items, item{name: name, pos: i})
		i, litStart = next, next
	}
	if litStart < len(s) {
		items = append(items, item{lit: s[litStart:], pos: litStart})
	}
	return items, nil
}

// varName reads the variable whose '$' is at s[i]; it returns the name and
// the offset after the variable.
func varName(src source, s string, i int) (string, int, error) {
	j := i + 1
	if j < len(s) && s[j] == '{' {
		end := strings.IndexByte(s[j:], '}')
		if end < 0 {
			return "", 0, &CompileError{Pos: src.at(i), Msg: `unterminated "${"`}
		}
		name := s[j+1 : j+end]
		if name == "" {
			return "", 0, &CompileError{Pos: src.at(i), Msg: `empty variable name in "${}"`}
		}
		if k := nameLen(name); k < len(name) {
			return "", 0, &CompileError{Pos: src.at(j + 1 + k), Msg: "invalid character " + strconv.QuoteRune(rune(name[k])) + " in variable name"}
		}
		return name, j + end + 1, nil
	}
	n := nameLen(s[j:])
	if n == 0 {
		return "", 0, &CompileError{Pos: src.at(i), Msg: `"$" not followed by a variable name`}
	}
	return s[j : j+n], j + n, nil
}

// nameLen returns the length of the variable name at the start of s.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return i
		}
	}
	return len(s)
}

// buildProgram compiles items into a program and the set of known variables
// it fills. It returns a nil program when items hold no variable. what names
// the text the program parses, for errors.
func buildProgram(src source, items []item, esc Escape, what string) (*program, uint64, error) {
	prog := &program{}
	var has uint64
	i := 0
	if len(items) > 0 && items[0].name == "" {
		prog.lead = []byte(items[0].lit)
		prog.errLead = newParseError(VarNone, "expected "+strconv.Quote(items[0].lit)+" at start of "+what)
		i = 1
	}
	for ; i < len(items); i++ {
		it := items[i]
		var lit string
		if i+1 < len(items) {
			next := items[i+1]
			if next.name != "" {
				return nil, 0, &CompileError{Pos: src.at(next.pos), Msg: "no literal between $" + it.name + " and $" + next.name +
					" (the parser could not tell where one ends)"}
			}
			lit = next.lit
			i++
		}
		v, _ := VarByName(it.name)
		if v != VarNone {
			has |= 1 << v
		}
		prog.steps = append(prog.steps, newStep(v, it.name, lit, esc))
	}
	if len(prog.steps) == 0 {
		return nil, 0, nil
	}
	return prog, has, nil
}

// newStep compiles variable name (known as v) followed by literal lit.
func newStep(v Var, name, lit string, esc Escape) step {
	s := step{v: v}
	if lit != "" {
		s.lit = []byte(lit)
		s.quoted = lit[0] == '"' && esc != EscapeNone
	}
	switch {
	case v == VarTimeLocal:
		s.kind = scanTimeLocal
	case v == VarTimeISO8601:
		s.kind = scanTimeISO
	case v == VarStatus:
		s.kind = scanStatus
	case isListVar(v, name):
		s.kind = scanList
		if lit != "" {
			s.stop = lit[0]
		}
	}
	s.shaped = s.kind != scanDelim || quoteFree(v)
	dollar := "$" + name
	s.errValue = newParseError(v, dollar+": "+valueProblem(v))
	s.errMissing = newParseError(v, "line too short: missing "+dollar)
	if lit != "" {
		s.errLit = newParseError(v, "expected "+strconv.Quote(lit)+" after "+dollar)
	}
	return s
}
