package openslo

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
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
var wrappers = map[string]bool{"rate": true, "irate": true, "increase": true}

// windowVar is Sloth's template for the range of a query ([{{.window}}]),
// which is not PromQL: any duration stands for it while parsing.
var windowVar = regexp.MustCompile(`\{\{\s*\.window\s*\}\}`)

// promql parses queries with Prometheus' own parser: the grammar (quoting,
// escapes, comments, grouping before or after the parentheses) is theirs.
var promql = parser.NewParser(parser.Options{})

// parseSelector reads a query of the shape sum(rate(metric{matchers}[w])):
// any nesting of sum (with by or without), rate, irate and increase around
// one selector, with or without a range. Anything else (arithmetic,
// comparisons, other functions, offsets) is not a count of requests headroom
// can read.
func parseSelector(q string) (selector, error) {
	expr, err := parseQuery(q)
	if err != nil {
		return selector{}, err
	}
	return selectorOf(q, expr)
}

// parseQuery parses a query, Sloth's window template included.
func parseQuery(q string) (parser.Expr, error) {
	expr, err := promql.ParseExpr(windowVar.ReplaceAllString(q, "5m"))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", q, err)
	}
	return expr, nil
}

// cutMinus splits the query `a - b` (in parentheses or not) into a and b.
func cutMinus(q string) (a, b parser.Expr, ok bool) {
	expr, err := parseQuery(q)
	if err != nil {
		return nil, nil, false
	}
	for {
		p, isParen := expr.(*parser.ParenExpr)
		if !isParen {
			break
		}
		expr = p.Expr
	}
	if e, isBin := expr.(*parser.BinaryExpr); isBin && e.Op == parser.SUB {
		return e.LHS, e.RHS, true
	}
	return nil, nil, false
}

// selectorOf is parseSelector for q, parsed as expr.
func selectorOf(q string, expr parser.Expr) (selector, error) {
	notCounter := func(what string) error {
		return fmt.Errorf("%q: want one counter selector, like sum(rate(http_requests_total{code=~\"5..\"}[5m])), not %s", q, what)
	}
	for {
		switch e := expr.(type) {
		case *parser.ParenExpr:
			expr = e.Expr
		case *parser.AggregateExpr:
			if e.Op != parser.SUM {
				return selector{}, notCounter(e.Op.String() + "(…)")
			}
			expr = e.Expr
		case *parser.Call:
			if !wrappers[e.Func.Name] || len(e.Args) != 1 {
				return selector{}, notCounter(e.Func.Name + "(…)")
			}
			expr = e.Args[0]
		case *parser.MatrixSelector:
			expr = e.VectorSelector
		case *parser.VectorSelector:
			if e.OriginalOffset != 0 || e.Timestamp != nil || e.StartOrEnd != 0 {
				return selector{}, notCounter("a selector with offset or @")
			}
			return vectorSelector(q, e)
		default:
			return selector{}, notCounter("an expression")
		}
	}
}

// vectorSelector is a parsed selector as headroom reads it: its metric name
// (from the name or a __name__ matcher) and its other matchers.
func vectorSelector(q string, e *parser.VectorSelector) (selector, error) {
	sel := selector{metric: e.Name}
	for _, m := range e.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual && (sel.metric == "" || sel.metric == m.Value) {
			sel.metric = m.Value
			continue
		}
		sel.matchers = append(sel.matchers, matcher{label: m.Name, op: m.Type.String(), value: m.Value})
	}
	if sel.metric == "" {
		return selector{}, fmt.Errorf("%q: want a selector with a metric name", q)
	}
	return sel, nil
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
