// Package datadog writes headroom's SLOs as Datadog definitions: metric SLOs
// over the counts headroom pushes (headroom.slo.events), their burn-rate and
// error-budget monitors, a dashboard, and for teams whose Nginx logs already
// go to Datadog a logs-to-metrics rule with SLOs over it. Each definition is
// the request body of Datadog's create API; Terraform JSON (.tf.json) wraps
// the same definitions as resources of the Datadog provider.
//
// The package is pure: Build takes the config and returns the definitions
// and the warnings about what Datadog cannot express as headroom does.
package datadog

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
)

// The metrics the definitions read.
const (
	// EventsMetric is the count headroom pushes per SLO, minute and result
	// (tags slo, service, result:good|bad).
	EventsMetric = "headroom.slo.events"
	// RequestsMetric is the count headroom pushes per service, route and
	// status code (tags service, route, code).
	RequestsMetric = "headroom.http.requests"
	// LogsMetric is the metric the logs-to-metrics rule makes of the Nginx
	// logs already in Datadog (tags status_code, service).
	LogsMetric = "headroom.logs.nginx.requests"
)

// MaxLongWindow is the longest long window a Datadog burn-rate monitor takes;
// MinLongWindow the shortest.
const (
	MaxLongWindow = 48 * time.Hour
	MinLongWindow = time.Hour
)

// Source says which SLOs to define: over what headroom pushes, over the
// Nginx logs already in Datadog, or both.
type Source string

// Sources.
const (
	FromPush Source = "push"
	FromLogs Source = "logs"
	FromBoth Source = "both"
)

// Options are Build's choices.
type Options struct {
	Source Source // default FromBoth
	// Title is the dashboard's title (default "headroom SLOs").
	Title string
	// Maintenance are windows besides the config's (those recorded in the
	// store), exported as SLO corrections with them.
	Maintenance []config.Maintenance
}

// Definitions are the request bodies of Datadog's create APIs, in the order
// they must be created: logs metrics, SLOs, then the monitors and the
// dashboard that refer to the SLOs by SLOID placeholders.
type Definitions struct {
	LogsMetrics []LogsMetricRequest `json:"logs_metrics"`
	SLOs        []SLORequest        `json:"slos"`
	Monitors    []Monitor           `json:"monitors"`
	Dashboards  []Dashboard         `json:"dashboards"`
	// SLOCorrections are the maintenance windows, as corrections of the
	// SLOs of their service (corrections.go).
	SLOCorrections []SLOCorrection `json:"slo_corrections"`
	// Warnings say where Datadog differs from headroom (a timeframe, a
	// clamped window, an SLO left out); they are not part of the JSON.
	Warnings []string `json:"-"`
}

// SLOID is the placeholder that stands for the id Datadog gives the SLO
// named name when it is created: the monitors and the dashboard carry it
// until it is replaced (docs/datadog.md shows how; Terraform refers to the
// resource's id instead).
func SLOID(name string) string { return "<slo-id:" + name + ">" }

// sloIDRE finds SLOID placeholders.
var sloIDRE = regexp.MustCompile(`<slo-id:([^>]+)>`)

// LogsMetricRequest is the body of POST /api/v2/logs/config/metrics.
type LogsMetricRequest struct {
	Data LogsMetricData `json:"data"`
}

// LogsMetricData is a logs metric's id (its name), type and attributes.
type LogsMetricData struct {
	ID         string               `json:"id"`
	Type       string               `json:"type"` // logs_metrics
	Attributes LogsMetricAttributes `json:"attributes"`
}

// LogsMetricAttributes say which logs a logs metric counts and by what.
type LogsMetricAttributes struct {
	Compute LogsMetricCompute   `json:"compute"`
	Filter  LogsMetricFilter    `json:"filter"`
	GroupBy []LogsMetricGroupBy `json:"group_by,omitempty"`
}

// LogsMetricCompute is the aggregation: count.
type LogsMetricCompute struct {
	AggregationType string `json:"aggregation_type"`
}

// LogsMetricFilter is the log search query of the logs counted.
type LogsMetricFilter struct {
	Query string `json:"query"`
}

// LogsMetricGroupBy makes a tag of a log attribute.
type LogsMetricGroupBy struct {
	Path    string `json:"path"`
	TagName string `json:"tag_name"`
}

// SLORequest is the body of POST /api/v1/slo: a metric SLO.
type SLORequest struct {
	Name            string         `json:"name"`
	Type            string         `json:"type"` // metric
	Description     string         `json:"description"`
	Tags            []string       `json:"tags"`
	Query           SLOQuery       `json:"query"`
	Thresholds      []SLOThreshold `json:"thresholds"`
	Timeframe       string         `json:"timeframe"`
	TargetThreshold float64        `json:"target_threshold"`
}

// SLOQuery is a metric SLO's good (numerator) and total (denominator) events.
type SLOQuery struct {
	Numerator   string `json:"numerator"`
	Denominator string `json:"denominator"`
}

// SLOThreshold is an SLO's target over a timeframe (7d, 30d or 90d).
type SLOThreshold struct {
	Timeframe string  `json:"timeframe"`
	Target    float64 `json:"target"`
}

// Monitor is the body of POST /api/v1/monitor: an "slo alert" monitor.
type Monitor struct {
	Name     string         `json:"name"`
	Type     string         `json:"type"` // slo alert
	Query    string         `json:"query"`
	Message  string         `json:"message"`
	Tags     []string       `json:"tags"`
	Priority int            `json:"priority"`
	Options  MonitorOptions `json:"options"`
}

// MonitorOptions hold the monitor's threshold, which must equal the query's.
type MonitorOptions struct {
	Thresholds MonitorThresholds `json:"thresholds"`
}

// MonitorThresholds is the critical threshold.
type MonitorThresholds struct {
	Critical float64 `json:"critical"`
}

// Dashboard is the body of POST /api/v1/dashboard.
type Dashboard struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	LayoutType  string   `json:"layout_type"` // ordered
	Widgets     []Widget `json:"widgets"`
}

// Widget is one dashboard widget: an SLO or a timeseries.
type Widget struct {
	Definition any `json:"definition"`
}

// SLOWidget shows one SLO: its status and error budget.
type SLOWidget struct {
	Type            string   `json:"type"` // slo
	ViewType        string   `json:"view_type"`
	Title           string   `json:"title"`
	SLOID           string   `json:"slo_id"`
	ShowErrorBudget bool     `json:"show_error_budget"`
	ViewMode        string   `json:"view_mode"`
	TimeWindows     []string `json:"time_windows"`
}

// TimeseriesWidget draws formulas over metric queries.
type TimeseriesWidget struct {
	Type     string              `json:"type"` // timeseries
	Title    string              `json:"title"`
	Requests []TimeseriesRequest `json:"requests"`
}

// TimeseriesRequest is one line: queries and the formula over them.
type TimeseriesRequest struct {
	ResponseFormat string        `json:"response_format"` // timeseries
	DisplayType    string        `json:"display_type"`    // line
	Queries        []MetricQuery `json:"queries"`
	Formulas       []Formula     `json:"formulas"`
}

// MetricQuery is a named metrics query.
type MetricQuery struct {
	DataSource string `json:"data_source"` // metrics
	Name       string `json:"name"`
	Query      string `json:"query"`
}

// Formula combines named queries.
type Formula struct {
	Formula string `json:"formula"`
	Alias   string `json:"alias"`
}

// Build turns the config's SLOs into Datadog definitions. An SLO Datadog
// cannot express (a composite, a logs SLO with a route filter) is left out
// with a warning; an error is returned only for definitions that would
// collide.
func Build(cfg *config.Config, opt Options) (*Definitions, error) {
	if opt.Source == "" {
		opt.Source = FromBoth
	}
	if opt.Title == "" {
		opt.Title = "headroom SLOs"
	}
	policies, err := alert.Policies(cfg)
	if err != nil {
		return nil, err
	}
	byName := map[string]alert.Policy{}
	for _, p := range policies {
		byName[p.SLO] = p
	}
	d := &Definitions{LogsMetrics: []LogsMetricRequest{}, SLOs: []SLORequest{}, Monitors: []Monitor{}, SLOCorrections: []SLOCorrection{}}
	var widgets []Widget
	push, logs := opt.Source != FromLogs, opt.Source != FromPush
	for _, o := range cfg.SLOs {
		if o.SLI.Type == config.Composite {
			d.warnf("slo %s: left out: a composite SLI has no Datadog metric SLO (define its components' SLOs, or a composite in Datadog's UI)", o.Name)
			continue
		}
		p, alerting := byName[o.Name]
		if push {
			s := d.slo(cfg, o, o.Name, tags(o, "push"), pushQuery(o), "the counts headroom pushes ("+EventsMetric+")")
			widgets = append(widgets, sloWidget(s))
			if alerting {
				d.monitors(cfg, o, p, s)
			}
		}
		if logs {
			q, why := logsQuery(o)
			if why != "" {
				d.warnf("slo %s: no logs-based SLO: %s", o.Name, why)
				continue
			}
			s := d.slo(cfg, o, o.Name+"-logs", tags(o, "logs"), q, "the Nginx logs in Datadog ("+LogsMetric+")")
			widgets = append(widgets, sloWidget(s))
			if alerting {
				d.monitors(cfg, o, p, s)
			}
		}
	}
	if logs {
		d.LogsMetrics = append(d.LogsMetrics, logsMetric())
	}
	for _, svc := range services(cfg) {
		if push {
			widgets = append(widgets, errorRateWidget(svc+": 5xx % (headroom)", RequestsMetric, "service:"+tagValue(svc), "code:5*"))
		}
		if logs {
			widgets = append(widgets, errorRateWidget(svc+": 5xx % (Nginx logs in Datadog)", LogsMetric, "service:"+tagValue(svc), "status_code:5*"))
		}
	}
	d.Dashboards = []Dashboard{{
		Title: opt.Title,
		Description: "Written by headroom export datadog: one SLO widget per SLO (its status and error budget) " +
			"and every service's 5xx rate.",
		LayoutType: "ordered",
		Widgets:    widgets,
	}}
	d.corrections(cfg, append(slices.Clone(cfg.Maintenance), opt.Maintenance...))
	seen := map[string]bool{}
	var errs []error
	for _, s := range d.SLOs {
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("two Datadog SLOs would be named %q: rename one of the headroom SLOs", s.Name))
		}
		seen[s.Name] = true
	}
	return d, errors.Join(errs...)
}

// warnf adds a warning once: an SLO defined over both sources would say
// the same of each.
func (d *Definitions) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !slices.Contains(d.Warnings, w) {
		d.Warnings = append(d.Warnings, w)
	}
}

// slo adds the metric SLO named name over q, counted from from, and
// returns it.
func (d *Definitions) slo(cfg *config.Config, o config.SLO, name string, tags []string, q SLOQuery, from string) SLORequest {
	period, what := nominalPeriod(cfg, o)
	tf := Timeframe(period)
	desc := fmt.Sprintf("headroom SLO %s (service %s): %s%% of %s over %s", o.Name, o.Service, num(o.Objective), sliWords(o), o.Window.String())
	if what != "" {
		desc += " (" + what + ")"
	}
	desc += ", from " + from + "."
	if tf != slo.FormatDuration(period) || o.Window.Window().Kind != slo.Rolling {
		desc += fmt.Sprintf(" Datadog's timeframe is %s (rolling), the nearest of 7d, 30d and 90d to headroom's %s: its budget and attainment differ from headroom's.", tf, o.Window.String())
		d.warnf("slo %s: Datadog's timeframe is %s (rolling), the nearest it has to headroom's window %s", o.Name, tf, o.Window.String())
	}
	if o.Description != "" {
		desc += " " + o.Description
	}
	s := SLORequest{
		Name: name, Type: "metric", Description: desc, Tags: tags, Query: q,
		Thresholds: []SLOThreshold{{Timeframe: tf, Target: o.Objective}},
		Timeframe:  tf, TargetThreshold: o.Objective,
	}
	d.SLOs = append(d.SLOs, s)
	return s
}

// monitors adds the burn-rate monitors of p's tiers and its budget-exhausted
// monitor for the Datadog SLO s.
func (d *Definitions) monitors(cfg *config.Config, o config.SLO, p alert.Policy, s SLORequest) {
	period, _ := nominalPeriod(cfg, o)
	maxBurn := 1 / (1 - o.Objective/100)
	id := SLOID(s.Name)
	for _, t := range p.Tiers {
		factor := round(t.Threshold(period))
		long, short := t.Long, t.Short
		var notes []string
		switch {
		case long > MaxLongWindow:
			long = MaxLongWindow
			notes = append(notes, fmt.Sprintf("Datadog's long window is at most 48h: headroom's %s is clamped to 48h, with headroom's factor %s (more sensitive than headroom over the longer window)",
				slo.FormatDuration(t.Long), num(factor)))
		case long < MinLongWindow:
			long = MinLongWindow
			notes = append(notes, fmt.Sprintf("Datadog's long window is at least 1h: headroom's %s is stretched to 1h, with headroom's factor %s",
				slo.FormatDuration(t.Long), num(factor)))
		}
		if short >= long {
			d.warnf("slo %s: tier %s left out: its short window %s is not shorter than the long window %s Datadog takes",
				o.Name, t.Name, slo.FormatDuration(short), slo.FormatDuration(long))
			continue
		}
		if factor >= maxBurn {
			d.warnf("slo %s: tier %s left out: its burn-rate factor %s is not below the highest burn rate an objective of %s%% allows (%s), so it could never fire; Datadog refuses it",
				o.Name, t.Name, num(factor), num(o.Objective), num(round(maxBurn)))
			continue
		}
		for _, n := range notes {
			d.warnf("slo %s: tier %s: %s", o.Name, t.Name, n)
		}
		tf := s.Timeframe
		msg := []string{
			fmt.Sprintf("{{#is_alert}}SLO %s (service %s) is burning its error budget %s times faster than its %s%% objective allows, over %s and over %s: at this rate %s%% of the %s budget goes in %s.{{/is_alert}}",
				o.Name, o.Service, num(factor), num(o.Objective), window(long), window(short), num(round(100*t.BudgetShare)), o.Window.String(), slo.FormatDuration(t.Long)),
			fmt.Sprintf("headroom tier %s (severity %s): burn rate above %s over %s and %s, scaled to headroom's window %s.",
				t.Name, t.Severity, num(factor), slo.FormatDuration(t.Long), slo.FormatDuration(t.Short), o.Window.String()),
		}
		msg = append(msg, notes...)
		if p.MinEvents > 0 {
			msg = append(msg, fmt.Sprintf("headroom also waits for %s events in the long window; Datadog has no such guard.", num(p.MinEvents)))
		}
		if t.For > 0 {
			msg = append(msg, fmt.Sprintf("headroom waits %s before firing; Datadog fires at once.", slo.FormatDuration(t.For)))
		}
		if p.Runbook != "" {
			msg = append(msg, "Runbook: "+p.Runbook)
		}
		d.Monitors = append(d.Monitors, Monitor{
			Name: fmt.Sprintf("%s burn rate %s (%s)", s.Name, t.Name, t.Severity),
			Type: "slo alert",
			Query: fmt.Sprintf(`burn_rate("%s").over("%s").long_window("%s").short_window("%s") > %s`,
				id, tf, window(long), window(short), num(factor)),
			Message:  strings.Join(msg, "\n\n"),
			Tags:     append(slices.Clone(s.Tags), "tier:"+tagValue(t.Name), "severity:"+tagValue(t.Severity)),
			Priority: priority(t.Severity),
			Options:  MonitorOptions{Thresholds: MonitorThresholds{Critical: factor}},
		})
	}
	if p.Exhausted != "" {
		msg := []string{fmt.Sprintf("{{#is_alert}}SLO %s (service %s) has spent its whole error budget over %s.{{/is_alert}}", o.Name, o.Service, s.Timeframe),
			fmt.Sprintf("headroom's budget-exhausted alert (severity %s).", p.Exhausted)}
		if p.Runbook != "" {
			msg = append(msg, "Runbook: "+p.Runbook)
		}
		d.Monitors = append(d.Monitors, Monitor{
			Name:     fmt.Sprintf("%s error budget exhausted (%s)", s.Name, p.Exhausted),
			Type:     "slo alert",
			Query:    fmt.Sprintf(`error_budget("%s").over("%s") > 100`, id, s.Timeframe),
			Message:  strings.Join(msg, "\n\n"),
			Tags:     append(slices.Clone(s.Tags), "tier:budget-exhausted", "severity:"+tagValue(p.Exhausted)),
			Priority: priority(p.Exhausted),
			Options:  MonitorOptions{Thresholds: MonitorThresholds{Critical: 100}},
		})
	}
}

// Timeframe returns the Datadog SLO timeframe nearest to period: 7d, 30d or
// 90d (a tie takes the longer).
func Timeframe(period time.Duration) string {
	day := 24 * time.Hour
	best, bestDiff := "", time.Duration(math.MaxInt64)
	for _, tf := range []struct {
		name string
		d    time.Duration
	}{{"90d", 90 * day}, {"30d", 30 * day}, {"7d", 7 * day}} {
		diff := period - tf.d
		if diff < 0 {
			diff = -diff
		}
		if diff < bestDiff {
			best, bestDiff = tf.name, diff
		}
	}
	return best
}

// nominalPeriod is the length the SLO's window is taken to have: calendar
// windows have no fixed one, so a month is 30d and a quarter 90d here; the
// second result says so.
func nominalPeriod(cfg *config.Config, o config.SLO) (time.Duration, string) {
	w := o.Window.Window()
	day := 24 * time.Hour
	switch w.Kind {
	case slo.CalendarWeek:
		return 7 * day, "a calendar week"
	case slo.CalendarMonth:
		return 30 * day, "a calendar month, taken as 30d"
	case slo.CalendarQuarter:
		return 90 * day, "a calendar quarter, taken as 90d"
	case slo.SprintWindow:
		d := w.Duration
		if cfg.Sprints != nil && cfg.Sprints.Length != 0 {
			d = time.Duration(cfg.Sprints.Length)
		}
		return d, "the current sprint, " + slo.FormatDuration(d)
	}
	return w.Duration, ""
}

func pushQuery(o config.SLO) SLOQuery {
	sel := "slo:" + tagValue(o.Name)
	return SLOQuery{
		Numerator:   fmt.Sprintf("sum:%s{%s,result:good}.as_count()", EventsMetric, sel),
		Denominator: fmt.Sprintf("sum:%s{%s}.as_count()", EventsMetric, sel),
	}
}

// logsQuery returns the SLO query over the logs metric, or why there is
// none: only availability SLOs whose filter is on statuses can be counted
// from a metric tagged with the status code and the service.
func logsQuery(o config.SLO) (SLOQuery, string) {
	if o.SLI.Type != config.Availability {
		return SLOQuery{}, fmt.Sprintf("a %s SLI is not a count of status codes (the logs metric counts requests by status code and service)", o.SLI.Type)
	}
	f := o.Filter
	if f.Host.String() != "" || f.Route.String() != "" || len(f.Method) > 0 {
		return SLOQuery{}, "its filter on host, route or method is not a tag of the logs metric (status code and service)"
	}
	total := []string{"service:" + tagValue(o.Service)}
	if !f.Status.IsZero() {
		in, err := statusFilter(statusSrc(f.Status))
		if err != nil {
			return SLOQuery{}, err.Error()
		}
		total = append(total, in)
	}
	badSrc := []string{"5xx"}
	if !o.SLI.BadStatus.IsZero() {
		badSrc = statusSrc(o.SLI.BadStatus)
	}
	bad, err := statusFilter(badSrc)
	if err != nil {
		return SLOQuery{}, err.Error()
	}
	all := fmt.Sprintf("sum:%s{%s}.as_count()", LogsMetric, filterJoin(total))
	return SLOQuery{
		Numerator:   fmt.Sprintf("%s - sum:%s{%s}.as_count()", all, LogsMetric, filterJoin(append(slices.Clone(total), bad))),
		Denominator: all,
	}, ""
}

// filterJoin joins tag filters: with commas, or with AND when one is a
// parenthesised OR.
func filterJoin(terms []string) string {
	for _, t := range terms {
		if strings.Contains(t, " OR ") {
			return strings.Join(terms, " AND ")
		}
	}
	return strings.Join(terms, ",")
}

var (
	classRE = regexp.MustCompile(`^([1-5])[xX][xX]$`)
	codeRE  = regexp.MustCompile(`^[1-5][0-9][0-9]$`)
	rangeRE = regexp.MustCompile(`^([1-5][0-9][0-9])-([1-5][0-9][0-9])$`)
)

// statusFilter turns a config's status set (5xx, 429, 500-504) into a tag
// filter on status_code.
func statusFilter(src []string) (string, error) {
	var terms []string
	for _, s := range src {
		s = strings.TrimSpace(s)
		switch {
		case classRE.MatchString(s):
			terms = append(terms, "status_code:"+s[:1]+"*")
		case codeRE.MatchString(s):
			terms = append(terms, "status_code:"+s)
		case rangeRE.MatchString(s):
			m := rangeRE.FindStringSubmatch(s)
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			for c := lo; c <= hi; c++ {
				terms = append(terms, "status_code:"+strconv.Itoa(c))
			}
		default:
			return "", fmt.Errorf("status %q has no Datadog tag filter", s)
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return "(" + strings.Join(terms, " OR ") + ")", nil
}

func statusSrc(s config.StatusSet) []string {
	v, _ := s.MarshalYAML()
	l, _ := v.([]string)
	return l
}

func logsMetric() LogsMetricRequest {
	return LogsMetricRequest{Data: LogsMetricData{
		ID: LogsMetric, Type: "logs_metrics",
		Attributes: LogsMetricAttributes{
			Compute: LogsMetricCompute{AggregationType: "count"},
			Filter:  LogsMetricFilter{Query: "source:nginx"},
			GroupBy: []LogsMetricGroupBy{
				{Path: "@http.status_code", TagName: "status_code"},
				{Path: "service", TagName: "service"},
			},
		},
	}}
}

func sloWidget(s SLORequest) Widget {
	return Widget{Definition: SLOWidget{
		Type: "slo", ViewType: "detail", Title: s.Name, SLOID: SLOID(s.Name),
		ShowErrorBudget: true, ViewMode: "overall", TimeWindows: []string{s.Timeframe},
	}}
}

func errorRateWidget(title, metric, service, bad string) Widget {
	return Widget{Definition: TimeseriesWidget{
		Type: "timeseries", Title: title,
		Requests: []TimeseriesRequest{{
			ResponseFormat: "timeseries", DisplayType: "line",
			Queries: []MetricQuery{
				{DataSource: "metrics", Name: "bad", Query: fmt.Sprintf("sum:%s{%s,%s}.as_count()", metric, service, bad)},
				{DataSource: "metrics", Name: "total", Query: fmt.Sprintf("sum:%s{%s}.as_count()", metric, service)},
			},
			Formulas: []Formula{{Formula: "100 * bad / total", Alias: "5xx %"}},
		}},
	}}
}

// services returns the services with an SLO Build defines, in config order.
func services(cfg *config.Config) []string {
	var out []string
	for _, s := range cfg.Services {
		for _, o := range cfg.SLOs {
			if o.Service == s.Name && o.SLI.Type != config.Composite {
				out = append(out, s.Name)
				break
			}
		}
	}
	return out
}

func tags(o config.SLO, source string) []string {
	return []string{"service:" + tagValue(o.Service), "slo:" + tagValue(o.Name), "headroom:" + source}
}

// tagValue is a name as Datadog stores it in a tag: lower-cased.
func tagValue(s string) string { return strings.ToLower(s) }

func sliWords(o config.SLO) string {
	switch o.SLI.Type {
	case config.Availability:
		return "requests without a bad status"
	case config.Latency:
		return "requests served within " + slo.FormatDuration(time.Duration(o.SLI.Threshold))
	}
	return "events good by its " + o.SLI.Type + " SLI"
}

func priority(severity string) int {
	switch severity {
	case "page":
		return 1
	case "ticket":
		return 3
	}
	return 5
}

// window writes a burn-rate window as Datadog's queries do: minutes below an
// hour or when not whole hours, else hours ("5m", "1h", "48h").
func window(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// round keeps a burn-rate factor to 4 significant digits, so the query and
// the monitor's threshold read as the factor, not its float noise.
func round(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
	return v
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
