package openslo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// selector is one PromQL instant or range selector, once the aggregations
// and rate functions around it are stripped: what headroom can read from a
// good, bad or total query.
type selector struct {
	metric   string
	matchers []matcher
}

// matcher is one label matcher: label op "value".
type matcher struct {
	label, op, value string
}

func (m matcher) String() string { return m.label + m.op + strconv.Quote(m.value) }

// wrappers are the functions a counter query may put around its selector:
// they change how the counter is read, not which requests it counts.
var wrappers = map[string]bool{"sum": true, "rate": true, "irate": true, "increase": true}

// parseSelector reads a query of the shape sum(rate(metric{matchers}[w])):
// any nesting of sum (with by or without), rate, irate and increase around
// one selector, with or without a range. Anything else (arithmetic,
// comparisons, other functions) is not a count of requests headroom can
// read.
func parseSelector(q string) (selector, error) {
	s := strings.TrimSpace(q)
	for {
		s = strings.TrimSpace(s)
		name, rest := leadingIdent(s)
		if name == "" || !wrappers[name] {
			break
		}
		rest, ok := skipGrouping(strings.TrimSpace(rest))
		if !ok {
			return selector{}, fmt.Errorf("%q: unbalanced parentheses", q)
		}
		if !strings.HasPrefix(rest, "(") {
			break
		}
		end := matchingParen(rest)
		if end < 0 {
			return selector{}, fmt.Errorf("%q: unbalanced parentheses", q)
		}
		tail, ok := skipGrouping(strings.TrimSpace(rest[end+1:]))
		if !ok {
			return selector{}, fmt.Errorf("%q: unbalanced parentheses", q)
		}
		if tail != "" {
			return selector{}, fmt.Errorf("%q: want one counter selector, like sum(rate(http_requests_total{code=~\"5..\"}[5m])); found %q after %s(…)", q, tail, name)
		}
		s = rest[1:end]
	}
	// A range ([5m], [{{.window}}]) ends the selector.
	if i := strings.LastIndex(s, "["); i > 0 && strings.HasSuffix(s, "]") {
		s = strings.TrimSpace(s[:i])
	}
	var sel selector
	name, rest := leadingIdent(s)
	sel.metric = name
	rest = strings.TrimSpace(rest)
	if rest != "" {
		if !strings.HasPrefix(rest, "{") || !strings.HasSuffix(rest, "}") {
			return selector{}, fmt.Errorf("%q: want one counter selector, like sum(rate(http_requests_total{code=~\"5..\"}[5m])), not an expression", q)
		}
		ms, err := parseMatchers(rest[1 : len(rest)-1])
		if err != nil {
			return selector{}, fmt.Errorf("%q: %w", q, err)
		}
		sel.matchers = ms
	}
	var kept []matcher
	for _, m := range sel.matchers {
		if m.label == "__name__" && m.op == "=" && sel.metric == "" {
			sel.metric = m.value
			continue
		}
		kept = append(kept, m)
	}
	sel.matchers = kept
	if sel.metric == "" {
		return selector{}, fmt.Errorf("%q: want a selector with a metric name", q)
	}
	return sel, nil
}

// leadingIdent splits s after a leading identifier (letters, digits, _ and :).
func leadingIdent(s string) (string, string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			i++
			continue
		}
		break
	}
	return s[:i], s[i:]
}

// matchingParen returns the index of the parenthesis closing the one s
// starts with, skipping quoted strings; -1 if there is none.
func matchingParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'', '`':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' && q != '`' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// parseMatchers reads `a="x", b=~"y"`.
func parseMatchers(s string) ([]matcher, error) {
	var out []matcher
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return out, nil
		}
		label, rest := leadingIdent(s)
		if label == "" {
			return nil, fmt.Errorf("bad label matcher at %q", s)
		}
		rest = strings.TrimSpace(rest)
		var op string
		for _, o := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(rest, o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, fmt.Errorf("bad label matcher at %q", s)
		}
		rest = strings.TrimSpace(rest[len(op):])
		if rest == "" || (rest[0] != '"' && rest[0] != '\'' && rest[0] != '`') {
			return nil, fmt.Errorf("label %s: want a quoted value", label)
		}
		q := rest[0]
		end := -1
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\\' && q != '`' {
				i++
				continue
			}
			if rest[i] == q {
				end = i
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("label %s: unterminated value", label)
		}
		raw := rest[:end+1]
		var val string
		if q == '`' {
			val = raw[1 : len(raw)-1]
		} else {
			if q == '\'' {
				raw = `"` + strings.ReplaceAll(raw[1:len(raw)-1], `"`, `\"`) + `"`
			}
			v, err := strconv.Unquote(raw)
			if err != nil {
				return nil, fmt.Errorf("label %s: %w", label, err)
			}
			val = v
		}
		out = append(out, matcher{label: label, op: op, value: val})
		rest = strings.TrimSpace(rest[end+1:])
		if strings.HasPrefix(rest, ",") {
			rest = rest[1:]
		} else if rest != "" {
			return nil, fmt.Errorf("bad label matcher at %q", rest)
		}
		s = rest
	}
}

// compile returns a function telling the label values the matcher takes.
func (m matcher) compile() (func(string) bool, error) {
	switch m.op {
	case "=":
		return func(v string) bool { return v == m.value }, nil
	case "!=":
		return func(v string) bool { return v != m.value }, nil
	}
	re, err := regexp.Compile("^(?:" + m.value + ")$")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m, err)
	}
	neg := m.op == "!~"
	return func(v string) bool { return re.MatchString(v) != neg }, nil
}

// statusCodes is the set of HTTP statuses, 100 to 599, as a bitmap.
type statusCodes [600]bool

// allStatuses is every status from 100 to 599.
func allStatuses() statusCodes {
	var s statusCodes
	for c := 100; c < 600; c++ {
		s[c] = true
	}
	return s
}

// statusesOf returns the statuses a status label's matchers take. A status
// label may hold codes (503) or classes (5xx): a code is taken when the
// matchers take it or its class.
func statusesOf(ms []matcher) (statusCodes, error) {
	s := allStatuses()
	for _, m := range ms {
		match, err := m.compile()
		if err != nil {
			return s, err
		}
		for c := 100; c < 600; c++ {
			if !s[c] {
				continue
			}
			code, class := match(strconv.Itoa(c)), match(strconv.Itoa(c/100)+"xx")
			if m.op == "!=" || m.op == "!~" {
				s[c] = code && class
			} else {
				s[c] = code || class
			}
		}
	}
	return s, nil
}

func (s statusCodes) minus(o statusCodes) statusCodes {
	for c := range s {
		s[c] = s[c] && !o[c]
	}
	return s
}

func (s statusCodes) and(o statusCodes) statusCodes {
	for c := range s {
		s[c] = s[c] && o[c]
	}
	return s
}

func (s statusCodes) empty() bool { return s == statusCodes{} }

// terms writes the set as headroom writes statuses: classes (5xx), ranges
// (500-504) and codes (429).
func (s statusCodes) terms() []string {
	var out []string
	c := 100
	for c < 600 {
		if !s[c] {
			c++
			continue
		}
		if c%100 == 0 {
			full := true
			for i := c; i < c+100; i++ {
				full = full && s[i]
			}
			if full {
				out = append(out, strconv.Itoa(c/100)+"xx")
				c += 100
				continue
			}
		}
		end := c
		for end+1 < 600 && s[end+1] && (end+1)%100 != 0 {
			end++
		}
		if end == c {
			out = append(out, strconv.Itoa(c))
		} else {
			out = append(out, strconv.Itoa(c)+"-"+strconv.Itoa(end))
		}
		c = end + 1
	}
	return out
}

// skipGrouping skips a "by (…)" or "without (…)" clause at the start of s;
// ok is false when its parentheses do not balance.
func skipGrouping(s string) (rest string, ok bool) {
	if !strings.HasPrefix(s, "by") && !strings.HasPrefix(s, "without") {
		return s, true
	}
	_, r := leadingIdent(s)
	r = strings.TrimSpace(r)
	end := matchingParen(r)
	if end < 0 {
		return "", false
	}
	return strings.TrimSpace(r[end+1:]), true
}
