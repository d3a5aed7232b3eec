package datadog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// WriteJSON writes the definitions as one JSON object with the lists
// logs_metrics, slos, monitors and dashboards.
func (d *Definitions) WriteJSON(w io.Writer) error {
	return writeJSON(w, d)
}

// WriteTerraform writes the definitions as Terraform JSON (a .tf.json file)
// for the Datadog provider: datadog_logs_metric,
// datadog_service_level_objective, datadog_monitor and
// datadog_dashboard_json resources, and datadog_slo_correction for the
// maintenance windows. Monitors and the dashboard refer to the
// SLOs' ids (${datadog_service_level_objective.NAME.id}) where the JSON
// has SLOID placeholders.
//
// Terraform JSON rather than HCL: it is written by encoding/json, so every
// string is quoted right whatever it holds, and Terraform reads it as it
// reads HCL.
func (d *Definitions) WriteTerraform(w io.Writer) error {
	res := map[string]map[string]any{}
	add := func(typ, name string, v any) error {
		if res[typ] == nil {
			res[typ] = map[string]any{}
		}
		if _, dup := res[typ][name]; dup {
			return fmt.Errorf("two %s resources would be named %q", typ, name)
		}
		res[typ][name] = v
		return nil
	}
	refs := map[string]string{} // SLO name → its id reference
	for _, s := range d.SLOs {
		refs[s.Name] = "${datadog_service_level_objective." + resourceName(s.Name) + ".id}"
	}
	ref := func(s string) string {
		s = escapeTemplate(s)
		return sloIDRE.ReplaceAllStringFunc(s, func(m string) string {
			if r, ok := refs[sloIDRE.FindStringSubmatch(m)[1]]; ok {
				return r
			}
			return m
		})
	}
	for _, m := range d.LogsMetrics {
		a := m.Data.Attributes
		groupBy := []map[string]string{}
		for _, g := range a.GroupBy {
			groupBy = append(groupBy, map[string]string{"path": escapeTemplate(g.Path), "tag_name": escapeTemplate(g.TagName)})
		}
		if err := add("datadog_logs_metric", resourceName(m.Data.ID), map[string]any{
			"name":     escapeTemplate(m.Data.ID),
			"compute":  map[string]string{"aggregation_type": a.Compute.AggregationType},
			"filter":   map[string]string{"query": escapeTemplate(a.Filter.Query)},
			"group_by": groupBy,
		}); err != nil {
			return err
		}
	}
	for _, s := range d.SLOs {
		th := []map[string]any{}
		for _, t := range s.Thresholds {
			th = append(th, map[string]any{"timeframe": t.Timeframe, "target": t.Target})
		}
		if err := add("datadog_service_level_objective", resourceName(s.Name), map[string]any{
			"name":             escapeTemplate(s.Name),
			"type":             s.Type,
			"description":      escapeTemplate(s.Description),
			"tags":             escapeAll(s.Tags),
			"query":            map[string]string{"numerator": escapeTemplate(s.Query.Numerator), "denominator": escapeTemplate(s.Query.Denominator)},
			"thresholds":       th,
			"timeframe":        s.Timeframe,
			"target_threshold": s.TargetThreshold,
		}); err != nil {
			return err
		}
	}
	for _, m := range d.Monitors {
		if err := add("datadog_monitor", resourceName(m.Name), map[string]any{
			"name":               escapeTemplate(m.Name),
			"type":               m.Type,
			"query":              ref(m.Query),
			"message":            escapeTemplate(m.Message),
			"tags":               escapeAll(m.Tags),
			"priority":           fmt.Sprint(m.Priority),
			"monitor_thresholds": map[string]float64{"critical": m.Options.Thresholds.Critical},
		}); err != nil {
			return err
		}
	}
	for i, c := range d.SLOCorrections {
		a := c.Data.Attributes
		r := map[string]any{
			"slo_id":      ref(a.SLOID),
			"category":    a.Category,
			"description": escapeTemplate(a.Description),
			"start":       a.Start,
		}
		if a.End != nil {
			r["end"] = *a.End
		}
		if a.Duration != nil {
			r["duration"], r["rrule"], r["timezone"] = *a.Duration, a.Rrule, a.Timezone
		}
		name := strings.TrimSuffix(strings.TrimPrefix(a.SLOID, "<slo-id:"), ">")
		if err := add("datadog_slo_correction", resourceName(fmt.Sprintf("%s-maintenance-%d", name, i+1)), r); err != nil {
			return err
		}
	}
	for _, db := range d.Dashboards {
		var b bytes.Buffer
		if err := writeJSON(&b, db); err != nil {
			return err
		}
		if err := add("datadog_dashboard_json", resourceName(db.Title), map[string]any{
			"dashboard": ref(b.String()),
		}); err != nil {
			return err
		}
	}
	return writeJSON(w, map[string]any{
		"terraform": map[string]any{
			"required_providers": map[string]any{"datadog": map[string]string{"source": "DataDog/datadog"}},
		},
		"resource": res,
	})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the placeholders' < and > stay readable
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

var notIdent = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// resourceName makes a Terraform resource name of a Datadog name: letters,
// digits, underscores and dashes, starting with a letter or underscore.
func resourceName(s string) string {
	s = strings.Trim(notIdent.ReplaceAllString(s, "_"), "_")
	if s == "" || !(s[0] == '_' || s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z') {
		s = "_" + s
	}
	return s
}

// escapeTemplate keeps Terraform from reading ${ and %{ in a string as
// template syntax.
func escapeTemplate(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

func escapeAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = escapeTemplate(s)
	}
	return out
}
