// Package openslo writes headroom's SLOs as OpenSLO v1 documents and reads
// OpenSLO v1 and Sloth prometheus/v1 specs back into headroom's slos:
// block. docs/openslo.md says what maps to what and what is refused.
package openslo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/slo"
)

// EventsMetric is the counter headroom exports for every SLO, labelled
// slo and result (good or bad): the metric source of the exported SLIs.
const EventsMetric = "headroom_slo_events_total"

// annotationPrefix starts the annotations that carry what OpenSLO has no
// field for, so that import gives back the same SLO.
const annotationPrefix = "headroom/"

// Annotation keys, after annotationPrefix. They are named after the config
// keys they carry.
const (
	annName          = "name"
	annWindow        = "window"
	annSLIType       = "sli.type"
	annThreshold     = "sli.threshold"
	annBadStatus     = "sli.bad_status"
	annVital         = "sli.vital"
	annScore         = "sli.score"
	annFilterRoute   = "filter.route"
	annFilterHost    = "filter.host"
	annFilterMethod  = "filter.method"
	annFilterStatus  = "filter.status"
	annRunbook       = "runbook"
	annMinEvents     = "alerting.min_events"
	annExhausted     = "alerting.exhausted"
	annAlertLabels   = "alerting.labels"
	annAlertDisabled = "alerting.disabled"
	annTier          = "tier"
	annBudgetShare   = "budget_share"
	annShort         = "short"
	annTierLabels    = "labels"
)

// notificationTarget is the one AlertNotificationTarget every exported
// alert policy points at: OpenSLO wants one, and headroom's notify targets
// decide by severity and service where an alert goes.
const notificationTarget = "headroom-notify"

// calendarStart is where exported calendar windows start: a Monday, the
// first of a month and of a quarter, at midnight UTC.
const calendarStart = "2024-01-01 00:00:00"

// Nominal periods of calendar windows, for the burn-rate thresholds of the
// exported alert conditions: a tier keeps its share of the budget, and the
// threshold share·P/long needs one P.
var nominalPeriod = map[slo.WindowKind]time.Duration{
	slo.CalendarWeek:    7 * 24 * time.Hour,
	slo.CalendarMonth:   30 * 24 * time.Hour,
	slo.CalendarQuarter: 91 * 24 * time.Hour,
}

// Export returns the configured SLOs as OpenSLO v1 objects: a Service per
// service with SLOs, an SLI and an SLO per SLO, and an AlertPolicy and
// AlertCondition per burn-rate tier. The tests validate what it writes
// with the OpenSLO SDK, which the binary does not link (types.go).
func Export(cfg *config.Config) ([]Object, error) {
	policies, err := alert.Policies(cfg)
	if err != nil {
		return nil, err
	}
	byName := map[string]alert.Policy{}
	for _, p := range policies {
		byName[p.SLO] = p
	}
	names := newNamer()
	var objs []Object
	var errs []error
	services := map[string]bool{}
	for _, o := range cfg.SLOs {
		if !services[o.Service] {
			services[o.Service] = true
			md := Metadata{Name: names.name("Service", o.Service)}
			if md.Name != o.Service {
				md.Annotations = map[string]string{annotationPrefix + annName: o.Service}
			}
			objs = append(objs, newService(md, ServiceSpec{Description: "headroom service " + o.Service}))
		}
	}
	hasPolicies := false
	for i, o := range cfg.SLOs {
		os, err := exportSLO(cfg, o, byName, names)
		if err != nil {
			errs = append(errs, fmt.Errorf("slos[%d] (%s): %w", i, o.Name, err))
			continue
		}
		objs = append(objs, os...)
		hasPolicies = hasPolicies || len(byName[o.Name].Tiers) > 0
	}
	if hasPolicies {
		var targets []string
		for _, n := range cfg.Notify {
			targets = append(targets, n.Name+" ("+n.Type+")")
		}
		desc := "headroom's notify targets, which route alerts by severity and service"
		if len(targets) > 0 {
			desc += ": " + strings.Join(targets, ", ")
		}
		objs = append(objs, newAlertNotificationTarget(Metadata{Name: notificationTarget},
			AlertNotificationTargetSpec{Target: "headroom", Description: desc}))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return objs, nil
}

// Write writes objects as multi-document YAML.
func Write(w io.Writer, objs []Object) error {
	var b bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func exportSLO(cfg *config.Config, o config.SLO, policies map[string]alert.Policy, names *namer) ([]Object, error) {
	ann := map[string]string{}
	name := names.name("SLO", o.Name)
	if name != o.Name {
		ann[annotationPrefix+annName] = o.Name
	}
	ann[annotationPrefix+annSLIType] = o.SLI.Type
	tw, period, err := timeWindow(cfg, o)
	if err != nil {
		return nil, err
	}
	if o.Window.Window().Kind == slo.SprintWindow {
		ann[annotationPrefix+annWindow] = o.Window.String()
	}
	setList := func(key string, l []string) {
		if len(l) > 0 {
			ann[annotationPrefix+key] = strings.Join(l, ",")
		}
	}
	setList(annFilterMethod, o.Filter.Method)
	setList(annFilterStatus, statusList(o.Filter.Status))
	setList(annBadStatus, statusList(o.SLI.BadStatus))
	if !o.Filter.Route.IsZero() {
		ann[annotationPrefix+annFilterRoute] = o.Filter.Route.String()
	}
	if !o.Filter.Host.IsZero() {
		ann[annotationPrefix+annFilterHost] = o.Filter.Host.String()
	}
	if o.SLI.Threshold != 0 {
		ann[annotationPrefix+annThreshold] = thresholdText(time.Duration(o.SLI.Threshold))
	}
	if o.SLI.Vital != "" {
		ann[annotationPrefix+annVital] = o.SLI.Vital
	}
	if o.SLI.Score != nil {
		ann[annotationPrefix+annScore] = strconv.FormatFloat(*o.SLI.Score, 'g', -1, 64)
	}
	if o.Runbook != "" {
		ann[annotationPrefix+annRunbook] = o.Runbook
	}
	a := o.Alerting
	if a.Disabled {
		ann[annotationPrefix+annAlertDisabled] = "true"
	}
	if a.MinEvents != nil {
		ann[annotationPrefix+annMinEvents] = strconv.FormatFloat(*a.MinEvents, 'g', -1, 64)
	}
	if a.Exhausted != "" {
		ann[annotationPrefix+annExhausted] = a.Exhausted
	}
	if len(a.Labels) > 0 {
		ann[annotationPrefix+annAlertLabels] = labelsText(a.Labels)
	}

	objective := round(o.Objective/100, 12)
	spec := SLOSpec{
		Description:     o.Description,
		Service:         names.name("Service", o.Service),
		BudgetingMethod: budgetingOccurrences,
		TimeWindow:      []SLOTimeWindow{tw},
	}
	var objs []Object
	if o.SLI.Type == config.Composite {
		// A composite's objectives are its components, each with its weight;
		// every one carries the composite's target, since OpenSLO v1 has no
		// target for the whole.
		for _, c := range o.SLI.Components {
			ref := names.name("SLI", c.SLO)
			w := c.Weight
			if w == 0 {
				w = 1
			}
			spec.Objectives = append(spec.Objectives, SLOObjective{
				DisplayName: c.SLO, Target: &objective, IndicatorRef: &ref, CompositeWeight: &w,
			})
		}
	} else {
		sliName := names.name("SLI", o.Name)
		objs = append(objs, newSLI(Metadata{Name: sliName}, SLISpec{
			Description: sliDescription(o),
			RatioMetric: &SLIRatioMetric{
				Counter: true,
				Good:    promSource(fmt.Sprintf(`sum(%s{slo=%s,result="good"})`, EventsMetric, strconv.Quote(o.Name))),
				Total:   promSource(fmt.Sprintf(`sum(%s{slo=%s})`, EventsMetric, strconv.Quote(o.Name))),
			},
		}))
		spec.IndicatorRef = &sliName
		spec.Objectives = []SLOObjective{{DisplayName: objectiveText(o.Objective), Target: &objective}}
	}
	p := policies[o.Name]
	for _, t := range p.Tiers {
		pname := names.name("AlertPolicy", o.Name+"-"+t.Name)
		cname := names.name("AlertCondition", o.Name+"-"+t.Name)
		threshold := round(t.Threshold(period), 9)
		cond := AlertConditionType{
			Kind:           conditionBurnRate,
			Operator:       OperatorGT,
			Threshold:      &threshold,
			LookbackWindow: shorthand(t.Long),
		}
		if t.For > 0 {
			af := shorthand(t.For)
			cond.AlertAfter = &af
		}
		cann := map[string]string{
			annotationPrefix + annTier:        t.Name,
			annotationPrefix + annBudgetShare: strconv.FormatFloat(round(t.BudgetShare*100, 9), 'g', -1, 64),
			annotationPrefix + annShort:       slo.FormatDuration(t.Short),
		}
		if len(t.Labels) > 0 {
			cann[annotationPrefix+annTierLabels] = labelsText(t.Labels)
		}
		objs = append(objs, newAlertCondition(Metadata{Name: cname, Annotations: cann}, AlertConditionSpec{
			Severity:  t.Severity,
			Condition: cond,
			Description: fmt.Sprintf("%s: burn rate above %s over %s and over %s (%s%% of the budget in %s)",
				t.Name, strconv.FormatFloat(threshold, 'g', 6, 64), slo.FormatDuration(t.Long), slo.FormatDuration(t.Short),
				strconv.FormatFloat(round(t.BudgetShare*100, 9), 'g', -1, 64), slo.FormatDuration(t.Long)),
		}))
		objs = append(objs, newAlertPolicy(Metadata{Name: pname}, AlertPolicySpec{
			Description:        fmt.Sprintf("headroom tier %s of SLO %s", t.Name, o.Name),
			AlertWhenBreaching: true,
			Conditions:         []AlertPolicyCondition{{AlertPolicyConditionRef: &AlertPolicyConditionRef{ConditionRef: cname}}},
			NotificationTargets: []AlertPolicyNotificationTarget{{
				AlertPolicyNotificationTargetRef: &AlertPolicyNotificationTargetRef{TargetRef: notificationTarget},
			}},
		}))
		spec.AlertPolicies = append(spec.AlertPolicies, SLOAlertPolicy{SLOAlertPolicyRef: &SLOAlertPolicyRef{AlertPolicyRef: pname}})
	}
	s := newSLO(Metadata{Name: name, Annotations: ann}, spec)
	return append([]Object{s}, objs...), nil
}

// timeWindow writes the SLO's window, and returns the period the alert
// thresholds scale to.
func timeWindow(cfg *config.Config, o config.SLO) (SLOTimeWindow, time.Duration, error) {
	w := o.Window.Window()
	cal := func(d DurationShorthand, start string, loc *time.Location) SLOTimeWindow {
		return SLOTimeWindow{Duration: d, Calendar: &SLOCalendar{StartTime: start, TimeZone: loc.String()}}
	}
	switch w.Kind {
	case slo.Rolling:
		return SLOTimeWindow{Duration: shorthand(w.Duration), IsRolling: true}, w.Duration, nil
	case slo.CalendarWeek:
		return cal(newDuration(1, unitWeek), calendarStart, time.UTC), nominalPeriod[w.Kind], nil
	case slo.CalendarMonth:
		return cal(newDuration(1, unitMonth), calendarStart, time.UTC), nominalPeriod[w.Kind], nil
	case slo.CalendarQuarter:
		return cal(newDuration(1, unitQuarter), calendarStart, time.UTC), nominalPeriod[w.Kind], nil
	case slo.SprintWindow:
		if cfg.Sprints == nil {
			return SLOTimeWindow{}, 0, errors.New("window: sprint needs the sprints block")
		}
		length := time.Duration(cfg.Sprints.Length)
		if length <= 0 {
			length = w.Duration
		}
		loc := cfg.Sprints.Timezone.Location()
		start := cfg.Sprints.Start.In(loc).Format(time.DateTime)
		return cal(shorthand(length), start, loc), length, nil
	}
	return SLOTimeWindow{}, 0, fmt.Errorf("window %q: no OpenSLO time window", o.Window.String())
}

// shorthand writes d in the largest OpenSLO unit that divides it (whole
// minutes at least: headroom's windows are).
func shorthand(d time.Duration) DurationShorthand {
	switch {
	case d%(24*time.Hour) == 0:
		return newDuration(int(d/(24*time.Hour)), unitDay)
	case d%time.Hour == 0:
		return newDuration(int(d/time.Hour), unitHour)
	}
	return newDuration(int(d/time.Minute), unitMinute)
}

func promSource(q string) *SLIMetricSpec {
	return &SLIMetricSpec{MetricSource: SLIMetricSource{Type: "Prometheus", Spec: map[string]any{"query": q}}}
}

// sliDescription says in words which events are good.
func sliDescription(o config.SLO) string {
	var what string
	switch o.SLI.Type {
	case config.Availability:
		bad := statusList(o.SLI.BadStatus)
		if len(bad) == 0 {
			bad = []string{"5xx"}
		}
		what = "requests answered without a status in " + strings.Join(bad, ", ")
	case config.Latency:
		what = "requests answered within " + thresholdText(time.Duration(o.SLI.Threshold))
	case config.WebVital:
		what = "page views with a good " + o.SLI.Vital
		if o.SLI.Threshold != 0 {
			what += " (at most " + thresholdText(time.Duration(o.SLI.Threshold)) + ")"
		} else if o.SLI.Score != nil {
			what += " (at most " + strconv.FormatFloat(*o.SLI.Score, 'g', -1, 64) + ")"
		}
	case config.JSErrors:
		what = "page views without an uncaught JavaScript error"
	case config.BrowserAPI:
		what = "browser API calls that succeeded"
	default:
		what = o.SLI.Type + " events that are good"
	}
	var f []string
	if !o.Filter.Route.IsZero() {
		f = append(f, "route ~ "+o.Filter.Route.String())
	}
	if !o.Filter.Host.IsZero() {
		f = append(f, "host ~ "+o.Filter.Host.String())
	}
	if len(o.Filter.Method) > 0 {
		f = append(f, "method in "+strings.Join(o.Filter.Method, ", "))
	}
	if s := statusList(o.Filter.Status); len(s) > 0 {
		f = append(f, "status in "+strings.Join(s, ", "))
	}
	d := "headroom " + o.SLI.Type + " SLI of service " + o.Service + ": " + what
	if len(f) > 0 {
		d += "; counting " + strings.Join(f, "; ")
	}
	return d
}

// thresholdText writes a threshold as the config does: whole seconds
// (2s), else milliseconds (2500ms).
func thresholdText(d time.Duration) string {
	if d%time.Second == 0 {
		return slo.FormatDuration(d)
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

func statusList(s config.StatusSet) []string {
	v, _ := s.MarshalYAML()
	l, _ := v.([]string)
	return l
}

// labelsText writes labels as a JSON object (keys sorted).
func labelsText(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func objectiveText(pct float64) string {
	return strconv.FormatFloat(pct, 'g', -1, 64) + "%"
}

// round rounds x to n significant decimals after the point.
func round(x float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(x*p) / p
}

// namer turns headroom names into OpenSLO names (DNS labels: lower case,
// digits and hyphens, at most 63), one per kind, and refuses two headroom
// names that would become the same.
type namer struct {
	seen map[string]string // kind/name → headroom name
}

func newNamer() *namer { return &namer{seen: map[string]string{}} }

func (n *namer) name(kind, s string) string {
	d := dnsLabel(s)
	key := kind + "/" + d
	if prev, ok := n.seen[key]; ok && prev != s {
		// Keep both apart with a short hash of the headroom name.
		d = dnsLabel(d[:min(len(d), 54)] + "-" + strconv.FormatUint(uint64(fnv32(s)), 36))
		key = kind + "/" + d
	}
	n.seen[key] = s
	return d
}

func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	d := strings.Trim(b.String(), "-")
	if len(d) > 63 {
		d = strings.Trim(d[:63], "-")
	}
	if d == "" {
		d = "x"
	}
	return d
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
