package logformat

import "bytes"

// Parser parses lines written with one compiled format. It keeps a scratch
// buffer and caches, so it is not safe for concurrent use: give each
// goroutine its own Parser (see Clone).
type Parser struct {
	esc  Escape
	text program   // the compiled text format, unless root is set
	root *jsonNode // the compiled JSON template, for JSON formats
	has  uint64    // bit v is set when the format provides Var v

	errNotObject *ParseError
	errTruncated *ParseError
	errSyntax    *ParseError

	scratch []byte // decoded values; Record slices may point into it
	lineLen int    // length of the line being parsed

	// emptyUnset is set with escape=json and for JSON templates, where
	// nginx writes a missing value as "" (or nothing, unquoted) instead
	// of "-".
	emptyUnset bool
	localDay   dayCache
	isoDay     dayCache
	lastLocal  lastTime

	// need is the set of variables the caller uses (0: all). Others are
	// delimited but not decoded.
	need uint64
	// Steps jumpFrom up to jumpTo are unneeded and end with the line's last
	// '"', the jumpQuote-th byte of step jumpTo-1's literal: runTop finds it
	// from the end instead of scanning those values (-1: no jump), checking
	// that the bytes jumped over hold the jumpQuotes '"' of the literals
	// before it.
	jumpFrom, jumpTo, jumpQuote, jumpQuotes int
}

// state tracks, during one Parse, which source filled the Record fields that
// several variables can provide; a higher rank wins.
type state struct {
	timeRank, methodRank, uriRank, protoRank, hostRank uint8
}

// Clone returns a Parser for the same format that shares nothing mutable with
// p, for use in another goroutine.
func (p *Parser) Clone() *Parser {
	q := *p
	q.scratch = nil
	q.localDay, q.isoDay, q.lastLocal = dayCache{}, dayCache{}, lastTime{}
	return &q
}

// Need restricts parsing to the variables the caller uses; the others are
// still delimited but neither decoded nor checked. Record fields filled only
// by other variables stay unset. With no arguments every variable is parsed
// again. Either way the line must have the format's shape to its end: a line
// cut short or with text after the format's end is an error.
//
// When a run of unneeded variables ends with a literal holding '"' after
// which only numbers and times follow (`"$http_referer" "$http_user_agent"
// $request_time`), the parser finds the end of that run by the line's last
// '"' instead of scanning every value in it, and only counts the '"' in it:
// the other literals inside the run are not checked. Nginx escapes '"' in
// values, so on lines it wrote both ways find the same fields; when the last
// '"' is not where the format puts it, or the run holds another number of
// '"' than its literals, or anything after it fails, the line is scanned
// step by step, which decides.
func (p *Parser) Need(vars ...Var) {
	p.need = 0
	p.jumpFrom, p.jumpTo = -1, -1
	for _, v := range vars {
		if v > VarNone && v < numVars {
			p.need |= 1 << v
		}
	}
	if p.need != 0 {
		p.planJump()
	}
}

// planJump sets the jump of runTop, if there is one.
func (p *Parser) planJump() {
	steps := p.text.steps
	last := -1 // the last step whose literal holds a '"'
	for i := len(steps) - 1; i >= 0; i-- {
		if q := bytes.LastIndexByte(steps[i].lit, '"'); q >= 0 {
			last, p.jumpQuote = i, q
			break
		}
		if !quoteFree(steps[i].v) {
			return
		}
	}
	if last < 0 || p.need&(1<<steps[last].v) != 0 {
		return
	}
	from := last
	for from > 0 && p.need&(1<<steps[from-1].v) == 0 {
		from--
	}
	p.jumpFrom, p.jumpTo, p.jumpQuotes = from, last+1, 0
	for _, s := range steps[from:last] {
		p.jumpQuotes += bytes.Count(s.lit, []byte{'"'})
	}
}

// quoteFree reports whether a value of v can never hold a '"', whatever the
// escaping: numbers and times.
func quoteFree(v Var) bool {
	switch v {
	case VarTimeLocal, VarTimeISO8601, VarMsec, VarStatus, VarBodyBytesSent, VarBytesSent, VarRequestLength,
		VarRequestTime, VarUpstreamResponseTime, VarUpstreamConnectTime, VarUpstreamHeaderTime, VarUpstreamStatus:
		return true
	}
	return false
}

// Has reports whether the format provides variable v.
func (p *Parser) Has(v Var) bool {
	return v > VarNone && v < numVars && p.has&(1<<v) != 0
}

// HasTime reports whether the format provides a time: $time_local,
// $time_iso8601 or $msec.
func (p *Parser) HasTime() bool {
	return p.Has(VarTimeLocal) || p.Has(VarTimeISO8601) || p.Has(VarMsec)
}

// HasStatus reports whether the format provides $status.
func (p *Parser) HasStatus() bool { return p.Has(VarStatus) }

// HasLatency reports whether the format provides a latency: $request_time or
// $upstream_response_time.
func (p *Parser) HasLatency() bool {
	return p.Has(VarRequestTime) || p.Has(VarUpstreamResponseTime)
}

// Parse parses one line into r, which it resets first. A trailing "\n" or
// "\r\n" is ignored. Byte slices in r alias line or p's scratch buffer and
// are valid until the next call to Parse on p. Parse does not allocate once
// p's scratch buffer has grown to fit the longest line with escapes seen.
//
// A line that does not fit the format yields a *ParseError; r then holds the
// fields parsed before the failure. A line must end where the format does
// (spaces and tabs aside): a line with more fields than the format (a main
// log read as combined) or cut short is an error.
func (p *Parser) Parse(line []byte, r *Record) error {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	r.Reset()
	p.scratch = p.scratch[:0]
	p.lineLen = len(line)
	var st state
	var err error
	if p.root != nil {
		err = p.parseJSON(line, r, &st)
	} else {
		err = p.runTop(line, r, &st)
	}
	if err != nil {
		return err
	}
	r.Path = pathOf(r.URI)
	return nil
}

// runTop parses line with the text program, jumping over unneeded steps
// before the last quote when it can (see Need), and checks that the line ends
// where the format does.
func (p *Parser) runTop(line []byte, r *Record, st *state) error {
	prog := &p.text
	if !hasPrefix(line, prog.lead) {
		return prog.errLead
	}
	n := len(prog.steps)
	if p.need != 0 && p.jumpFrom >= 0 {
		pos, err := p.runSteps(prog, 0, p.jumpFrom, line, len(prog.lead), r, st)
		if err != nil {
			return err
		}
		// The last '"' of the line is the last one of the literal ending the
		// skipped run, since no later literal or value holds one.
		s := &prog.steps[p.jumpTo-1]
		if q := bytes.LastIndexByte(line, '"') - p.jumpQuote; q >= pos && hasPrefix(line[q:], s.lit) &&
			!(s.quoted && escaped(line, q)) && bytes.Count(line[pos:q], []byte{'"'}) == p.jumpQuotes {
			if end, err := p.runSteps(prog, p.jumpTo, n, line, q+len(s.lit), r, st); err == nil && blank(line[end:]) {
				return nil
			}
		}
		// Not where it should be: the line is malformed or odd; the step by
		// step scan decides, from a clean record.
		r.Reset()
		*st = state{}
		p.scratch = p.scratch[:0]
	}
	end, err := p.runSteps(prog, 0, n, line, len(prog.lead), r, st)
	if err != nil {
		return err
	}
	if !blank(line[end:]) {
		return prog.errTrailing
	}
	return nil
}

// blank reports whether s holds only spaces and tabs.
func blank(s []byte) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// run parses a JSON value with prog.
func (p *Parser) run(prog *program, line []byte, r *Record, st *state) error {
	if !hasPrefix(line, prog.lead) {
		return prog.errLead
	}
	_, err := p.runSteps(prog, 0, len(prog.steps), line, len(prog.lead), r, st)
	return err
}

// runSteps parses prog.steps[from:to] from line[pos:], returning the position
// after the last one.
func (p *Parser) runSteps(prog *program, from, to int, line []byte, pos int, r *Record, st *state) (int, error) {
	for i := from; i < to; i++ {
		s := &prog.steps[i]
		rest := line[pos:]
		var n int
		if len(s.lit) == 0 {
			n = len(rest)
			if prog.line {
				for n > 0 && (rest[n-1] == ' ' || rest[n-1] == '\t') {
					n--
				}
				if s.shaped {
					// A blank before the value's last word may be text
					// after the value: the shape tells.
					k := n - 1
					for k >= 0 && rest[k] != ' ' && rest[k] != '\t' {
						k--
					}
					if k >= 0 && s.overruns(rest[:n], k) {
						return pos, prog.errTrailing
					}
				}
			}
			if n == 0 && needsValue(s.v) && !p.emptyUnset {
				return pos, s.errMissing
			}
		} else {
			if len(rest) == 0 {
				return pos, s.errMissing
			}
			if s.kind == scanDelim {
				n = findLit(rest, s.lit, s.quoted)
			} else {
				n = s.valueLen(rest)
			}
			if n < 0 {
				return pos, s.errLit
			}
		}
		if (p.need == 0 || p.need&(1<<s.v) != 0) && !p.apply(s.v, rest[:n], r, st) {
			return pos, s.errValue
		}
		pos += n + len(s.lit)
	}
	return pos, nil
}

// overruns reports whether val, the rest of the line given to the format's
// last variable, holds more than a value of it (text after the end of the
// format), knowing that its last blank is val[k]. Only values with a shape
// (times, statuses, numbers, lists) tell; free text runs to the end of the
// line.
func (s *step) overruns(val []byte, k int) bool {
	switch s.kind {
	case scanTimeLocal: // "10/Oct/2000:13:55:36 -0700": one blank, at 20
		return k > 20
	case scanList: // blanks only in ", " and " : "
		return k > 0 && val[k-1] != ',' && val[k-1] != ':'
	}
	return true // times in ISO 8601, statuses and numbers have no blank
}

// valueLen returns the length of the value at the start of rest, which is
// followed by s.lit, or -1 if s.lit is not found.
func (s *step) valueLen(rest []byte) int {
	n := -1
	switch s.kind {
	case scanTimeLocal:
		if len(rest) > 26 && rest[2] == '/' {
			n = 26
		}
	case scanTimeISO:
		n = isoLen(rest)
	case scanList:
		n = listLen(rest, s.stop, false)
	case scanStatus:
		if len(rest) > 3 && isDigit(rest[0]) && isDigit(rest[1]) && isDigit(rest[2]) {
			n = 3
		}
	}
	if n >= 0 && n <= len(rest) && hasPrefix(rest[n:], s.lit) {
		return n
	}
	return findLit(rest, s.lit, s.quoted)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// findLit returns the offset of the first occurrence of lit in s, or -1. When
// quoted is set, an occurrence preceded by an odd number of backslashes is
// skipped, since it is an escaped '"' inside the value.
func findLit(s, lit []byte, quoted bool) int {
	first := lit[0]
	if len(lit) == 1 && !quoted {
		return bytes.IndexByte(s, first)
	}
	for off := 0; ; {
		j := bytes.IndexByte(s[off:], first)
		if j < 0 {
			return -1
		}
		j += off
		if hasPrefix(s[j:], lit) && !(quoted && escaped(s, j)) {
			return j
		}
		off = j + 1
	}
}

// hasPrefix is bytes.HasPrefix for the short literals of formats, where a
// plain loop beats a call to memequal.
func hasPrefix(s, prefix []byte) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i, c := range prefix {
		if s[i] != c {
			return false
		}
	}
	return true
}

// escaped reports whether s[j] is preceded by an odd number of backslashes.
func escaped(s []byte, j int) bool {
	k := j
	for k > 0 && s[k-1] == '\\' {
		k--
	}
	return (j-k)%2 == 1
}

// isoLen returns the length of the $time_iso8601 value at the start of s, or
// -1 if it does not look like one.
func isoLen(s []byte) int {
	n := 19
	if len(s) <= n {
		return -1
	}
	if s[n] == '.' {
		for n++; n < len(s) && s[n] >= '0' && s[n] <= '9'; n++ {
		}
		if n == len(s) {
			return -1
		}
	}
	switch s[n] {
	case 'Z':
		return n + 1
	case '+', '-':
		return n + 6
	}
	return -1
}

// listLen returns the length of the upstream list at the start of s:
// elements separated by ", " or " : ". An element ends at a space, a comma or
// stop (the first byte of the literal that follows the list). In JSON (bare
// values), an element also ends at '}', ']' or '"'.
func listLen(s []byte, stop byte, json bool) int {
	n := elemLen(s, 0, stop, json)
	for n < len(s) {
		next := n
		switch {
		case s[n] == ',' && n+1 < len(s) && s[n+1] == ' ':
			next = n + 2
		case s[n] == ' ' && n+2 < len(s) && s[n+1] == ':' && s[n+2] == ' ':
			next = n + 3
		default:
			return n
		}
		end := elemLen(s, next, stop, json)
		if end == next {
			return n
		}
		n = end
	}
	return n
}

// elemLen returns the end of the list element starting at s[i].
func elemLen(s []byte, i int, stop byte, json bool) int {
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == ',' || (c == stop && stop != 0):
			return i
		case json && (c == '}' || c == ']' || c == '"'):
			return i
		}
	}
	return i
}

// pathOf returns uri without its query string and fragment.
func pathOf(uri []byte) []byte {
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if i := bytes.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i]
	}
	return uri
}
