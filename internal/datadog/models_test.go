package datadog_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV1"
	"github.com/DataDog/datadog-api-client-go/v2/api/datadogV2"
	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/datadog"
)

// TestDatadogModels decodes every definition with Datadog's own API client
// models, strictly: a field the model does not know lands in its
// AdditionalProperties, a value it refuses (a wrong enum, a widget that
// matches no definition) in its UnparsedObject, and either fails the test;
// encoding the model again must give the definition back, so nothing was
// dropped either.
func TestDatadogModels(t *testing.T) {
	for name, path := range configs {
		t.Run(name, func(t *testing.T) {
			d := build(t, path, datadog.FromBoth)
			for i, v := range d.LogsMetrics {
				strict(t, fmt.Sprintf("logs_metrics[%d]", i), v, &datadogV2.LogsMetricCreateRequest{})
			}
			for i, v := range d.SLOs {
				strict(t, fmt.Sprintf("slos[%d] %s", i, v.Name), v, &datadogV1.ServiceLevelObjectiveRequest{})
			}
			for i, v := range d.Monitors {
				strict(t, fmt.Sprintf("monitors[%d] %s", i, v.Name), v, &datadogV1.Monitor{})
			}
			for i, v := range d.Dashboards {
				strict(t, fmt.Sprintf("dashboards[%d]", i), v, &datadogV1.Dashboard{})
			}
			for i, v := range d.SLOCorrections {
				strict(t, fmt.Sprintf("slo_corrections[%d]", i), v, &datadogV1.SLOCorrectionCreateRequest{})
			}
		})
	}
}

// TestStrictFails makes sure the strict decoding can fail: a definition
// with an unknown field, one with a wrong enum value.
func TestStrictFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		model any
	}{
		{"unknown field", `{"name":"x","type":"metric","thresholds":[],"query":{"numerator":"a","denominator":"b"},"objective":99}`, &datadogV1.ServiceLevelObjectiveRequest{}},
		{"bad enum", `{"name":"x","type":"metric","thresholds":[{"timeframe":"28d","target":99}]}`, &datadogV1.ServiceLevelObjectiveRequest{}},
		{"unknown widget", `{"title":"t","layout_type":"ordered","widgets":[{"definition":{"type":"slo","view_type":"detail","slo_id":"x","colour":"red"}}]}`, &datadogV1.Dashboard{}},
		{"monitor type", `{"name":"m","type":"slo_alert","query":"q"}`, &datadogV1.Monitor{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := json.Unmarshal([]byte(tc.body), tc.model); err != nil {
				return // refused outright: fine
			}
			if problems := loose(reflect.ValueOf(tc.model), "$"); len(problems) == 0 {
				t.Errorf("%s: decoded without a problem", tc.body)
			}
		})
	}
}

func strict(t *testing.T, what string, v any, model any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(model); err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	for _, p := range loose(reflect.ValueOf(model), "$") {
		t.Errorf("%s: %s", what, p)
	}
	again, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: Datadog's model does not give it back (-ours +model):\n%s", what, diff)
	}
}

// loose walks a decoded model and lists what it did not parse: the
// UnparsedObject and AdditionalProperties of every struct in it.
func loose(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return loose(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, loose(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Map:
		var out []string
		for _, k := range v.MapKeys() {
			out = append(out, loose(v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k))...)
		}
		return out
	case reflect.Struct:
		var out []string
		ty := v.Type()
		for i := range v.NumField() {
			f := ty.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			switch f.Name {
			case "UnparsedObject": // a map, or any in the oneOf types
				if !fv.IsZero() && (fv.Kind() != reflect.Map || fv.Len() > 0) {
					out = append(out, fmt.Sprintf("%s (%s): not parsed by Datadog's model: %v", path, ty.Name(), fv.Interface()))
				}
				continue
			case "AdditionalProperties":
				if fv.Len() > 0 {
					out = append(out, fmt.Sprintf("%s (%s): fields Datadog's model does not know: %v", path, ty.Name(), fv.MapKeys()))
				}
				continue
			}
			out = append(out, loose(fv, path+"."+f.Name)...)
		}
		return out
	}
	return nil
}
