package openslo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-slo/headroom/internal/slo"
)

// File is a spec to import: its name, for errors, and its content.
type File struct {
	Name string
	Data []byte
}

// located is a decoded OpenSLO object and where it was read.
type located struct {
	obj Object
	loc string // file: document N
}

// Import reads OpenSLO v1 and Sloth prometheus/v1 specs and returns the SLOs
// headroom can express, and an error naming the file, document and field
// of every one it cannot (the others are still returned).
func Import(files []File) ([]SLO, error) {
	var errs []error
	var objs []located
	var out []SLO
	for _, f := range files {
		docs, err := splitDocs(f.Data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		for i, d := range docs {
			loc := fmt.Sprintf("%s: document %d", f.Name, i+1)
			if d.sub >= 0 {
				loc = fmt.Sprintf("%s: document %d, item %d", f.Name, i+1-d.sub, d.sub+1)
			}
			kind := docKind(d.node)
			switch {
			case kind.version == "prometheus/v1":
				s, err := importSloth(d.node, loc)
				out = append(out, s...)
				if err != nil {
					errs = append(errs, err)
				}
			case kind.apiVersion == "openslo/v1":
				o, err := decodeObject(d.node, kind.kind)
				if err == nil {
					objs = append(objs, located{o, loc})
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("%s (%s): %w", loc, kind.kind, err))
				}
			case kind.apiVersion != "":
				errs = append(errs, fmt.Errorf("%s: apiVersion: %s: headroom reads openslo/v1 (and Sloth's version: prometheus/v1)", loc, kind.apiVersion))
			case kind.version != "":
				errs = append(errs, fmt.Errorf("%s: version: %s: headroom reads Sloth's prometheus/v1 (and OpenSLO's apiVersion: openslo/v1)", loc, kind.version))
			default:
				errs = append(errs, fmt.Errorf("%s: neither OpenSLO (apiVersion: openslo/v1) nor Sloth (version: prometheus/v1)", loc))
			}
		}
	}
	ix := index(objs)
	for _, l := range objs {
		s, ok := l.obj.(V1SLO)
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s (SLO %s)", l.loc, s.Metadata.Name)
		got, err := ix.slo(s, where)
		if err == nil {
			if verr := s.check(); verr != nil {
				err = fmt.Errorf("not valid OpenSLO: %w", verr)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		out = append(out, got...)
	}
	return out, errors.Join(errs...)
}

// doc is one YAML document, or one item of a document that is a list of
// objects (sub is its index; -1 for a whole document).
type doc struct {
	node *yaml.Node
	sub  int
}

func splitDocs(data []byte) ([]doc, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var out []doc
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("document %d: %w", len(out)+1, err)
		}
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		if root.Kind == yaml.SequenceNode {
			for i, item := range root.Content {
				out = append(out, doc{node: item, sub: i})
			}
			continue
		}
		out = append(out, doc{node: root, sub: -1})
	}
}

type docIdent struct{ apiVersion, version, kind string }

func docKind(n *yaml.Node) docIdent {
	var id docIdent
	if n.Kind != yaml.MappingNode {
		return id
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "apiVersion":
			id.apiVersion = n.Content[i+1].Value
		case "version":
			id.version = n.Content[i+1].Value
		case "kind":
			id.kind = n.Content[i+1].Value
		}
	}
	return id
}

// objIndex finds the objects SLOs refer to by name.
type objIndex struct {
	slis       map[string]V1SLI
	policies   map[string]AlertPolicy
	conditions map[string]AlertCondition
	services   map[string]Service
	sources    map[string]DataSource
	slos       []V1SLO
}

func index(objs []located) *objIndex {
	ix := &objIndex{slis: map[string]V1SLI{}, policies: map[string]AlertPolicy{},
		conditions: map[string]AlertCondition{}, services: map[string]Service{}, sources: map[string]DataSource{}}
	for _, l := range objs {
		switch o := l.obj.(type) {
		case V1SLI:
			ix.slis[o.Metadata.Name] = o
		case AlertPolicy:
			ix.policies[o.Metadata.Name] = o
		case AlertCondition:
			ix.conditions[o.Metadata.Name] = o
		case Service:
			ix.services[o.Metadata.Name] = o
		case DataSource:
			ix.sources[o.Metadata.Name] = o
		case V1SLO:
			ix.slos = append(ix.slos, o)
		}
	}
	return ix
}

func ann(m Metadata, key string) string { return m.Annotations[annotationPrefix+key] }

// slo maps one OpenSLO SLO onto headroom SLOs: one per objective.
func (ix *objIndex) slo(s V1SLO, where string) ([]SLO, error) {
	sp := s.Spec
	if sp.BudgetingMethod != budgetingOccurrences {
		return nil, fmt.Errorf("spec.budgetingMethod: %s: headroom counts events (Occurrences); it has no time slices", sp.BudgetingMethod)
	}
	if len(sp.TimeWindow) != 1 {
		return nil, errors.New("spec.timeWindow: headroom needs one time window")
	}
	window, period, err := windowOf(sp.TimeWindow[0], ann(s.Metadata, annWindow))
	if err != nil {
		return nil, fmt.Errorf("spec.timeWindow[0].%w", err)
	}
	name := s.Metadata.Name
	if n := ann(s.Metadata, annName); n != "" {
		name = n
	}
	service := sp.Service
	if svc, ok := ix.services[service]; ok && ann(svc.Metadata, annName) != "" {
		service = ann(svc.Metadata, annName)
	}
	base := SLO{Name: name, Service: service, Description: sp.Description, Window: window,
		From: where, Runbook: ann(s.Metadata, annRunbook)}
	if base.Alerting, err = ix.alerting(s, period); err != nil {
		return nil, err
	}
	if sp.HasCompositeObjectives() {
		c, err := ix.composite(s)
		if err != nil {
			return nil, err
		}
		base.SLI = c.SLI
		base.Objective = c.Objective
		return []SLO{base}, nil
	}
	sli, field, err := ix.indicator(sp.Indicator, sp.IndicatorRef)
	if err != nil {
		return nil, err
	}
	if sli.ThresholdMetric != nil {
		return nil, fmt.Errorf("%s.thresholdMetric: headroom counts good and total events; a threshold on a raw metric has none", field)
	}
	if sli.RatioMetric == nil {
		return nil, fmt.Errorf("%s: no ratioMetric", field)
	}
	if err := ix.ratioSLI(&base, s.Metadata, *sli.RatioMetric, field+".ratioMetric"); err != nil {
		return nil, err
	}
	var out []SLO
	for i, o := range sp.Objectives {
		field := fmt.Sprintf("spec.objectives[%d]", i)
		t, err := target(o)
		if err != nil {
			return nil, fmt.Errorf("%s.%w", field, err)
		}
		one := base
		one.Objective = t
		if len(sp.Objectives) > 1 {
			suffix := strconv.Itoa(i + 1)
			if o.DisplayName != "" {
				suffix = dnsLabel(o.DisplayName)
			}
			one.Name = name + "-" + suffix
			one.Notes = append(append([]string(nil), base.Notes...), fmt.Sprintf("# objective %d of %d of %s", i+1, len(sp.Objectives), name))
		}
		out = append(out, one)
	}
	if len(out) == 0 {
		return nil, errors.New("spec.objectives: none")
	}
	return out, nil
}

func target(o SLOObjective) (float64, error) {
	switch {
	case o.Target != nil:
		return round(*o.Target*100, 10), nil
	case o.TargetPercent != nil:
		return round(*o.TargetPercent, 10), nil
	}
	return 0, errors.New("target: required")
}

// indicator returns the SLO's SLI, inline or referred to, and its field.
func (ix *objIndex) indicator(in *SLOIndicatorInline, ref *string) (SLISpec, string, error) {
	switch {
	case in != nil:
		return in.Spec, "spec.indicator.spec", nil
	case ref != nil:
		sli, ok := ix.slis[*ref]
		if !ok {
			return SLISpec{}, "", fmt.Errorf("spec.indicatorRef: no SLI named %s in the files read", *ref)
		}
		return sli.Spec, "SLI " + *ref + ": spec", nil
	}
	return SLISpec{}, "", errors.New("spec.indicator: required")
}

// ratioSLI fills the SLO's SLI and filter from a ratio metric: headroom's
// own (over headroom_slo_events_total, with its annotations) or one over
// an HTTP request counter.
func (ix *objIndex) ratioSLI(o *SLO, md Metadata, rm SLIRatioMetric, field string) error {
	if rm.Raw != nil {
		return fmt.Errorf("%s.raw: a precomputed ratio has no events headroom can count", field)
	}
	if rm.Total == nil || rm.Good == nil && rm.Bad == nil {
		return fmt.Errorf("%s: want good (or bad) and total", field)
	}
	r := ratio{totalField: field + ".total", goodField: field + ".good", badField: field + ".bad"}
	var err error
	if r.total, err = ix.query(rm.Total, r.totalField); err != nil {
		return err
	}
	if rm.Good != nil {
		if r.good, err = ix.query(rm.Good, r.goodField); err != nil {
			return err
		}
	} else if r.bad, err = ix.query(rm.Bad, r.badField); err != nil {
		return err
	}
	if r.total.metric == EventsMetric {
		return headroomSLI(o, md, r)
	}
	sli, f, notes, err := classify(r)
	if err != nil {
		return err
	}
	o.SLI, o.Filter, o.Notes = sli, f, append(o.Notes, notes...)
	return nil
}

// headroomSLI reads an SLI over headroom's own events counter: the
// annotations export wrote say what the SLO counts.
func headroomSLI(o *SLO, md Metadata, r ratio) error {
	sloName := ""
	for _, m := range r.total.matchers {
		if m.label == "slo" && m.op == "=" {
			sloName = m.value
		}
	}
	if sloName == "" {
		return fmt.Errorf("%s: %s without slo=\"NAME\"", r.totalField, EventsMetric)
	}
	typ := ann(md, annSLIType)
	if typ == "" {
		return fmt.Errorf("metadata.annotations: %s%s: required for an SLI over %s (headroom openslo export writes it)", annotationPrefix, annSLIType, EventsMetric)
	}
	if o.Name == md.Name && ann(md, annName) == "" {
		o.Name = sloName
	}
	list := func(key string) []string {
		if v := ann(md, key); v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	o.SLI = SLI{Type: typ, Threshold: ann(md, annThreshold), BadStatus: list(annBadStatus), Vital: ann(md, annVital)}
	if v := ann(md, annScore); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("metadata.annotations: %s%s: %w", annotationPrefix, annScore, err)
		}
		o.SLI.Score = &f
	}
	f := Filter{Route: ann(md, annFilterRoute), Host: ann(md, annFilterHost), Method: list(annFilterMethod), Status: list(annFilterStatus)}
	if f.Route != "" || f.Host != "" || len(f.Method) > 0 || len(f.Status) > 0 {
		o.Filter = &f
	}
	return nil
}

// query parses a metric source's PromQL query.
func (ix *objIndex) query(ms *SLIMetricSpec, field string) (*selector, error) {
	src := ms.MetricSource
	typ := src.Type
	if typ == "" && src.MetricSourceRef != "" {
		if ds, ok := ix.sources[src.MetricSourceRef]; ok {
			typ = ds.Spec.Type
		}
	}
	if !strings.EqualFold(typ, "Prometheus") {
		return nil, fmt.Errorf("%s.metricSource.type: %q: headroom reads Prometheus queries", field, typ)
	}
	q, _ := src.Spec["query"].(string)
	if q == "" {
		q, _ = src.Spec["promql"].(string)
	}
	if q == "" {
		return nil, fmt.Errorf("%s.metricSource.spec.query: required", field)
	}
	sel, err := parseSelector(q)
	if err != nil {
		return nil, fmt.Errorf("%s.metricSource.spec.query: %w", field, err)
	}
	return &sel, nil
}

// composite maps a composite SLO: each objective is a component, by the
// SLO that uses its SLI.
func (ix *objIndex) composite(s V1SLO) (SLO, error) {
	var out SLO
	out.SLI.Type = "composite"
	for i, o := range s.Spec.Objectives {
		field := fmt.Sprintf("spec.objectives[%d]", i)
		t, err := target(o)
		if err != nil {
			return out, fmt.Errorf("%s.%w", field, err)
		}
		if i > 0 && t != out.Objective {
			return out, fmt.Errorf("%s.target: %v: a headroom composite has one objective, and objectives[0] has %v", field, t, out.Objective)
		}
		out.Objective = t
	}
	for i, o := range s.Spec.Objectives {
		field := fmt.Sprintf("spec.objectives[%d]", i)
		if o.IndicatorRef == nil {
			return out, fmt.Errorf("%s.indicator: headroom's composites combine other SLOs: want an indicatorRef to an SLI another SLO uses", field)
		}
		comp := ""
		for _, other := range ix.slos {
			if other.Spec.IndicatorRef != nil && *other.Spec.IndicatorRef == *o.IndicatorRef {
				comp = other.Metadata.Name
				if n := ann(other.Metadata, annName); n != "" {
					comp = n
				}
			}
		}
		if comp == "" {
			return out, fmt.Errorf("%s.indicatorRef: %s: no SLO in the files read uses this SLI, and headroom's composites combine SLOs", field, *o.IndicatorRef)
		}
		w := 0.0 // headroom's default, 1
		if o.CompositeWeight != nil && *o.CompositeWeight != 1 {
			w = *o.CompositeWeight
		}
		out.SLI.Components = append(out.SLI.Components, Component{SLO: comp, Weight: w})
	}
	return out, nil
}

// windowOf maps an OpenSLO time window onto headroom's, and returns the
// period alert thresholds scale to.
func windowOf(tw SLOTimeWindow, annotated string) (string, time.Duration, error) {
	d := tw.Duration
	unit := d.GetUnit()
	if tw.IsRolling {
		switch unit {
		case unitMonth, unitQuarter, unitYear:
			return "", 0, fmt.Errorf("duration: %s: a rolling window of months, quarters or years has no fixed length; headroom wants a duration like 30d", d)
		}
		dur := d.Duration()
		if dur < time.Hour {
			return "", 0, fmt.Errorf("duration: %s: headroom's windows are at least 1h", d)
		}
		return slo.FormatDuration(dur), dur, nil
	}
	if tw.Calendar == nil {
		return "", 0, errors.New("calendar: required when isRolling is false")
	}
	if annotated == "sprint" {
		return "sprint", d.Duration(), nil
	}
	tz := tw.Calendar.TimeZone
	if tz != "UTC" && tz != "Etc/UTC" && tz != "" {
		return "", 0, fmt.Errorf("calendar.timeZone: %s: headroom's calendar windows are in UTC", tz)
	}
	start, err := time.Parse(time.DateTime, tw.Calendar.StartTime)
	if err != nil {
		return "", 0, fmt.Errorf("calendar.startTime: %w", err)
	}
	midnight := start.Hour() == 0 && start.Minute() == 0 && start.Second() == 0
	switch {
	case d.GetValue() == 1 && unit == unitWeek && midnight && start.Weekday() == time.Monday:
		return "week", nominalPeriod[slo.CalendarWeek], nil
	case d.GetValue() == 1 && unit == unitMonth && midnight && start.Day() == 1:
		return "month", nominalPeriod[slo.CalendarMonth], nil
	case d.GetValue() == 1 && unit == unitQuarter && midnight && start.Day() == 1 && (start.Month()-1)%3 == 0:
		return "quarter", nominalPeriod[slo.CalendarQuarter], nil
	}
	return "", 0, fmt.Errorf("duration: %s from %s: headroom's calendar windows are a week from Monday, a month or a quarter from its first day, at midnight UTC", d, tw.Calendar.StartTime)
}

// alerting maps the SLO's alert policies onto headroom's tiers.
func (ix *objIndex) alerting(s V1SLO, period time.Duration) (*Alerting, error) {
	a := &Alerting{Exhausted: ann(s.Metadata, annExhausted)}
	if ann(s.Metadata, annAlertDisabled) == "true" {
		a.Disabled = true
	}
	if v := ann(s.Metadata, annMinEvents); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("metadata.annotations: %s%s: %w", annotationPrefix, annMinEvents, err)
		}
		a.MinEvents = &f
	}
	a.Labels = parseLabels(ann(s.Metadata, annAlertLabels))
	if a.Disabled || len(s.Spec.AlertPolicies) == 0 {
		return a, nil
	}
	got := map[string]Tier{}
	var order []string
	for i, p := range s.Spec.AlertPolicies {
		field := fmt.Sprintf("spec.alertPolicies[%d]", i)
		var spec AlertPolicySpec
		var pname string
		switch {
		case p.SLOAlertPolicyInline != nil:
			spec, pname = p.Spec, p.SLOAlertPolicyInline.Metadata.Name
		case p.SLOAlertPolicyRef != nil:
			ap, ok := ix.policies[p.AlertPolicyRef]
			if !ok {
				return nil, fmt.Errorf("%s.alertPolicyRef: no AlertPolicy named %s in the files read", field, p.AlertPolicyRef)
			}
			spec, pname = ap.Spec, ap.Metadata.Name
			field = "AlertPolicy " + pname + ": spec"
		}
		if len(spec.Conditions) != 1 {
			return nil, fmt.Errorf("%s.conditions: want one", field)
		}
		c := spec.Conditions[0]
		var cond AlertConditionSpec
		var cmd Metadata
		cfield := field + ".conditions[0]"
		switch {
		case c.AlertPolicyConditionInline != nil:
			cond, cmd = c.AlertPolicyConditionInline.Spec, c.AlertPolicyConditionInline.Metadata
		case c.AlertPolicyConditionRef != nil:
			ac, ok := ix.conditions[c.ConditionRef]
			if !ok {
				return nil, fmt.Errorf("%s.conditionRef: no AlertCondition named %s in the files read", cfield, c.ConditionRef)
			}
			cond, cmd = ac.Spec, ac.Metadata
			cfield = "AlertCondition " + ac.Metadata.Name + ": spec"
		}
		t, err := tierOf(pname, cond, cmd, period, cfield)
		if err != nil {
			return nil, err
		}
		if _, dup := got[t.Name]; dup {
			return nil, fmt.Errorf("%s: a second tier named %s", cfield, t.Name)
		}
		got[t.Name] = t
		order = append(order, t.Name)
	}
	defaults := map[string]bool{}
	for _, d := range slo.DefaultTiers() {
		defaults[d.Name] = true
		t, ok := got[d.Name]
		if !ok {
			a.Tiers = append(a.Tiers, Tier{Name: d.Name, Disabled: true})
			continue
		}
		same := t.Severity == d.Severity && *t.BudgetShare == round(d.BudgetShare*100, 9) &&
			t.Long == slo.FormatDuration(d.Long) && t.Short == slo.FormatDuration(d.Short) && t.For == "" && len(t.Labels) == 0
		if !same {
			a.Tiers = append(a.Tiers, t)
		}
	}
	for _, n := range order {
		if !defaults[n] {
			a.Tiers = append(a.Tiers, got[n])
		}
	}
	return a, nil
}

// tierOf maps a burn-rate alert condition onto a headroom tier.
func tierOf(policy string, c AlertConditionSpec, md Metadata, period time.Duration, field string) (Tier, error) {
	cond := c.Condition
	if cond.Kind != conditionBurnRate {
		return Tier{}, fmt.Errorf("%s.condition.kind: %s: headroom's tiers are burn rates", field, cond.Kind)
	}
	if cond.Operator != OperatorGT && cond.Operator != OperatorGTE {
		return Tier{}, fmt.Errorf("%s.condition.op: %s: a burn-rate tier fires above its threshold (gt)", field, cond.Operator)
	}
	sev, ok := severities[strings.ToLower(c.Severity)]
	if !ok {
		return Tier{}, fmt.Errorf("%s.severity: %q: headroom's severities are page and ticket (critical, high → page; warning, low → ticket)", field, c.Severity)
	}
	lw := cond.LookbackWindow
	switch lw.GetUnit() {
	case unitMonth, unitQuarter, unitYear:
		return Tier{}, fmt.Errorf("%s.condition.lookbackWindow: %s: want minutes, hours, days or weeks", field, lw)
	}
	long := lw.Duration()
	if cond.Threshold == nil || *cond.Threshold <= 0 {
		return Tier{}, fmt.Errorf("%s.condition.threshold: want a burn rate above 0", field)
	}
	name := ann(md, annTier)
	if name == "" {
		name = dnsLabel(policy)
	}
	share := round(*cond.Threshold*long.Seconds()/period.Seconds()*100, 6)
	if v := ann(md, annBudgetShare); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Tier{}, fmt.Errorf("metadata.annotations: %s%s: %w", annotationPrefix, annBudgetShare, err)
		}
		share = f
	}
	if share > 100 || math.IsNaN(share) {
		return Tier{}, fmt.Errorf("%s.condition.threshold: %v over %s spends %v%% of the budget: more than all of it", field, *cond.Threshold, lw, share)
	}
	short := ann(md, annShort)
	if short == "" {
		// The SRE Workbook's short windows are a twelfth of the long ones.
		short = slo.FormatDuration((long / 12).Truncate(time.Minute))
	}
	t := Tier{Name: name, Severity: sev, BudgetShare: &share, Long: slo.FormatDuration(long), Short: short,
		Labels: parseLabels(ann(md, annTierLabels))}
	if cond.AlertAfter != nil {
		t.For = slo.FormatDuration(cond.AlertAfter.Duration())
	}
	return t, nil
}

// severities maps alert severities onto headroom's.
var severities = map[string]string{
	"page": "page", "critical": "page", "high": "page",
	"ticket": "ticket", "warning": "ticket", "low": "ticket", "medium": "ticket",
}

func parseLabels(s string) map[string]string {
	if s == "" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}
