package openslo

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// SLO is one SLO read from a spec, in the shape of headroom's slos: block
// (config.SLO's keys), with where it came from and what was left out.
type SLO struct {
	Name        string    `yaml:"name"`
	Service     string    `yaml:"service"`
	Description string    `yaml:"description,omitempty"`
	Objective   float64   `yaml:"objective"`
	Window      string    `yaml:"window"`
	Filter      *Filter   `yaml:"filter,omitempty"`
	SLI         SLI       `yaml:"sli"`
	Runbook     string    `yaml:"runbook,omitempty"`
	Alerting    *Alerting `yaml:"alerting,omitempty"`

	// From says where the SLO came from: file, document and name.
	From string `yaml:"-"`
	// Notes are what the spec said that the SLO leaves out, and why.
	Notes []string `yaml:"-"`
}

// Filter is config.Filter's keys.
type Filter struct {
	Route  string   `yaml:"route,omitempty"`
	Host   string   `yaml:"host,omitempty"`
	Method []string `yaml:"method,omitempty"`
	Status []string `yaml:"status,omitempty"`
}

// SLI is config.SLISpec's keys.
type SLI struct {
	Type       string      `yaml:"type"`
	Threshold  string      `yaml:"threshold,omitempty"`
	BadStatus  []string    `yaml:"bad_status,omitempty"`
	Vital      string      `yaml:"vital,omitempty"`
	Score      *float64    `yaml:"score,omitempty"`
	Components []Component `yaml:"components,omitempty"`
}

// Component is config.Component's keys.
type Component struct {
	SLO    string  `yaml:"slo"`
	Weight float64 `yaml:"weight,omitempty"` // unset: 1
}

// Alerting is config.SLOAlerting's keys.
type Alerting struct {
	Disabled  bool              `yaml:"disabled,omitempty"`
	MinEvents *float64          `yaml:"min_events,omitempty"`
	Exhausted string            `yaml:"exhausted,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
	Tiers     []Tier            `yaml:"tiers,omitempty"`
}

// Tier is config.TierConfig's keys.
type Tier struct {
	Name        string            `yaml:"name"`
	Disabled    bool              `yaml:"disabled,omitempty"`
	Severity    string            `yaml:"severity,omitempty"`
	BudgetShare *float64          `yaml:"budget_share,omitempty"`
	Long        string            `yaml:"long,omitempty"`
	Short       string            `yaml:"short,omitempty"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
}

func (a *Alerting) isZero() bool {
	return a == nil || !a.Disabled && a.MinEvents == nil && a.Exhausted == "" && len(a.Labels) == 0 && len(a.Tiers) == 0
}

// Render writes the SLOs as headroom's slos: block, each with a comment
// saying where it came from and what it leaves out.
func Render(w io.Writer, slos []SLO) error {
	for i := range slos {
		if slos[i].Alerting.isZero() {
			slos[i].Alerting = nil
		}
	}
	var doc yaml.Node
	if err := doc.Encode(struct {
		SLOs []SLO `yaml:"slos"`
	}{slos}); err != nil {
		return err
	}
	seq := doc.Content[1]
	for i, n := range seq.Content {
		c := "from " + slos[i].From
		for _, note := range slos[i].Notes {
			c += "\n" + note
		}
		n.HeadComment = c
		for j := 0; j+1 < len(n.Content); j += 2 {
			switch n.Content[j].Value {
			case "filter", "sli":
				n.Content[j+1].Style = yaml.FlowStyle
				plainCodes(n.Content[j+1])
			}
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// plainCodes writes the status codes in a filter or SLI as numbers (429),
// as people write them, not as quoted strings.
func plainCodes(m *yaml.Node) {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if k := m.Content[j].Value; k != "status" && k != "bad_status" {
			continue
		}
		for _, c := range m.Content[j+1].Content {
			if _, err := strconv.Atoi(c.Value); err == nil {
				c.Tag, c.Style = "!!int", 0
			}
		}
	}
}

// httpMetric tells a metric that counts HTTP requests by its name.
var httpMetric = regexp.MustCompile(`(?i)(http|request|nginx)`)

// Label names read as headroom's filter keys or as the status.
var (
	statusLabels = map[string]bool{"status": true, "code": true, "status_code": true, "response_code": true}
	methodLabels = map[string]bool{"method": true, "verb": true, "http_method": true}
	hostLabels   = map[string]bool{"host": true, "http_host": true}
	routeLabels  = map[string]bool{"route": true, "path": true, "handler": true, "uri": true, "url": true, "endpoint": true}
)

// ratio is a good (or bad) query over a total one, as parsed selectors.
type ratio struct {
	good, bad, total *selector
	// field names the queries in the spec, for errors.
	goodField, badField, totalField string
}

// classify maps a ratio of HTTP request counters onto an availability or
// latency SLI and its filter; notes say which selectors were left to the
// service's config.
func classify(r ratio) (SLI, *Filter, []string, error) {
	num, numField := r.good, r.goodField
	if num == nil {
		num, numField = r.bad, r.badField
	}
	total := *r.total
	if !httpMetric.MatchString(total.metric) {
		return SLI{}, nil, nil, fmt.Errorf("%s: metric %s does not count HTTP requests: headroom's SLIs are over the requests in Nginx logs", r.totalField, total.metric)
	}
	// A histogram's +Inf bucket is its count.
	if base, ok := strings.CutSuffix(total.metric, "_bucket"); ok {
		var kept []matcher
		inf := false
		for _, m := range total.matchers {
			if m.label == "le" && m.op == "=" && m.value == "+Inf" {
				inf = true
				continue
			}
			kept = append(kept, m)
		}
		if inf {
			total = selector{metric: base + "_count", matchers: kept}
		}
	}
	// The numerator selects the total's requests and more.
	var extra []matcher
	for _, m := range num.matchers {
		if !hasMatcher(total.matchers, m) {
			extra = append(extra, m)
		}
	}
	for _, m := range total.matchers {
		if !hasMatcher(num.matchers, m) {
			return SLI{}, nil, nil, fmt.Errorf("%s: selects %s, which %s does not: the good or bad requests must be a part of the total ones", r.totalField, m, numField)
		}
	}
	var sli SLI
	var domain = allStatuses()
	switch {
	case num.metric == total.metric:
		if len(extra) == 0 {
			return SLI{}, nil, nil, fmt.Errorf("%s: selects the same requests as %s: no status tells good from bad", numField, r.totalField)
		}
		label := extra[0].label
		for _, m := range extra {
			if !statusLabels[m.label] || m.label != label {
				return SLI{}, nil, nil, fmt.Errorf("%s: %s: headroom tells good from bad requests by their status (a matcher on status or code) or their latency (a histogram's le)", numField, m)
			}
		}
		var common []matcher
		for _, m := range total.matchers {
			if m.label == label {
				common = append(common, m)
			}
		}
		var err error
		if domain, err = statusesOf(common); err != nil {
			return SLI{}, nil, nil, fmt.Errorf("%s: %w", r.totalField, err)
		}
		sel, err := statusesOf(extra)
		if err != nil {
			return SLI{}, nil, nil, fmt.Errorf("%s: %w", numField, err)
		}
		bad := domain.and(sel)
		if r.good != nil {
			bad = domain.minus(sel)
		}
		if bad.empty() {
			return SLI{}, nil, nil, fmt.Errorf("%s: no HTTP status is bad: headroom cannot tell good from bad", numField)
		}
		sli = SLI{Type: "availability", BadStatus: bad.terms()}
	case strings.TrimSuffix(num.metric, "_bucket")+"_count" == total.metric && strings.HasSuffix(num.metric, "_bucket"):
		if r.good == nil {
			return SLI{}, nil, nil, fmt.Errorf("%s: a histogram bucket counts the fast requests: give it as good, not bad", numField)
		}
		if len(extra) != 1 || extra[0].label != "le" || extra[0].op != "=" {
			return SLI{}, nil, nil, fmt.Errorf("%s: want the total's selector and one le=\"seconds\" matcher, the latency threshold", numField)
		}
		secs, err := strconv.ParseFloat(extra[0].value, 64)
		if err != nil || secs <= 0 {
			return SLI{}, nil, nil, fmt.Errorf("%s: le=%q is not a latency threshold in seconds", numField, extra[0].value)
		}
		ms := secs * 1000
		if ms != float64(int64(ms)) {
			return SLI{}, nil, nil, fmt.Errorf("%s: le=%q: headroom's latency thresholds are whole milliseconds", numField, extra[0].value)
		}
		sli = SLI{Type: "latency", Threshold: thresholdText(time.Duration(ms) * time.Millisecond)}
	default:
		return SLI{}, nil, nil, fmt.Errorf("%s: metric %s against %s in %s: want the same counter with a status matcher, or a histogram's _bucket{le=…} against its _count", numField, num.metric, total.metric, r.totalField)
	}
	f, notes, err := filterOf(total.matchers, domain, r.totalField)
	if err != nil {
		return SLI{}, nil, nil, err
	}
	return sli, f, notes, nil
}

func hasMatcher(ms []matcher, m matcher) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

// filterOf maps the total's matchers onto headroom's filter; the matchers
// on other labels select the service, which headroom's services config
// does: they are noted and left out.
func filterOf(ms []matcher, domain statusCodes, field string) (*Filter, []string, error) {
	var f Filter
	var notes []string
	seen := map[string]bool{}
	for _, m := range ms {
		key := ""
		switch {
		case statusLabels[m.label]:
			continue // the domain
		case methodLabels[m.label]:
			key = "method"
		case hostLabels[m.label]:
			key = "host"
		case routeLabels[m.label]:
			key = "route"
		default:
			notes = append(notes, fmt.Sprintf("# left out: %s (it selects the service: headroom's services config says which requests service reads)", m))
			continue
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("%s: two matchers on the %s: headroom's filter.%s takes one", field, key, key)
		}
		seen[key] = true
		if m.op == "!=" || m.op == "!~" {
			return nil, nil, fmt.Errorf("%s: %s: headroom's filter.%s cannot exclude", field, m, key)
		}
		re := "^" + regexp.QuoteMeta(m.value) + "$"
		if m.op == "=~" {
			if _, err := regexp.Compile(m.value); err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", field, m, err)
			}
			re = "^(?:" + m.value + ")$"
		}
		switch key {
		case "method":
			if m.op == "=" {
				f.Method = []string{m.value}
				break
			}
			for _, w := range strings.Split(m.value, "|") {
				if !regexp.MustCompile(`^[A-Za-z]+$`).MatchString(w) {
					return nil, nil, fmt.Errorf("%s: %s: want methods, like GET|POST", field, m)
				}
				f.Method = append(f.Method, strings.ToUpper(w))
			}
		case "host":
			f.Host = re
		case "route":
			f.Route = re
		}
	}
	if domain != allStatuses() {
		f.Status = domain.terms()
	}
	if f.Route == "" && f.Host == "" && len(f.Method) == 0 && len(f.Status) == 0 {
		return nil, notes, nil
	}
	return &f, notes, nil
}
