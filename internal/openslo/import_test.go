package openslo

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sloDoc is an OpenSLO v1 SLO over two Prometheus queries, with the
// window and extra spec lines given.
func sloDoc(good, total, window, extra string) string {
	if window == "" {
		window = "[{duration: 28d, isRolling: true}]"
	}
	return `apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout}
spec:
  service: shop
  indicator:
    metadata: {name: checkout}
    spec:
      ratioMetric:
        counter: true
        ` + good + `
        total: {metricSource: {type: Prometheus, spec: {query: '` + total + `'}}}
  timeWindow: ` + window + `
  budgetingMethod: Occurrences
` + extra
}

func goodQ(q string) string {
	return `good: {metricSource: {type: Prometheus, spec: {query: '` + q + `'}}}`
}
func badQ(q string) string {
	return `bad: {metricSource: {type: Prometheus, spec: {query: '` + q + `'}}}`
}

const oneObjective = "  objectives: [{target: 0.999}]\n"

// TestImportShapes: which OpenSLO ratios become which headroom SLIs, and
// which are refused with which field named.
func TestImportShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want string // the SLO's lines of the slos: block, without the comment
		err  string
	}{
		{
			name: "bad over total, codes and a class",
			doc:  sloDoc(badQ(`sum(rate(nginx_http_requests_total{host="shop.example.com",status=~"5..|429"}[5m]))`), `sum(rate(nginx_http_requests_total{host="shop.example.com"}[5m]))`, "", oneObjective),
			want: `  - name: checkout
    service: shop
    objective: 99.9
    window: 28d
    filter: {host: ^shop\.example\.com$}
    sli: {type: availability, bad_status: [429, 5xx]}
`,
		},
		{
			name: "good over total by status class, method and route",
			doc:  sloDoc(goodQ(`sum by (route) (increase(http_requests_total{route=~"/api/.*",method="GET",code!~"5.."}[1h]))`), `sum by (route) (increase(http_requests_total{route=~"/api/.*",method="GET"}[1h]))`, "", oneObjective),
			want: `  - name: checkout
    service: shop
    objective: 99.9
    window: 28d
    filter: {route: '^(?:/api/.*)$', method: [GET]}
    sli: {type: availability, bad_status: [5xx]}
`,
		},
		{
			name: "latency from a histogram, total as the count",
			doc:  sloDoc(goodQ(`sum(rate(http_request_duration_seconds_bucket{le="0.25",method=~"GET|HEAD"}[5m]))`), `sum(rate(http_request_duration_seconds_count{method=~"GET|HEAD"}[5m]))`, "", oneObjective),
			want: `  - name: checkout
    service: shop
    objective: 99.9
    window: 28d
    filter: {method: [GET, HEAD]}
    sli: {type: latency, threshold: 250ms}
`,
		},
		{
			name: "latency from a histogram, total as the +Inf bucket",
			doc:  sloDoc(goodQ(`http_request_duration_seconds_bucket{le="1.5"}`), `http_request_duration_seconds_bucket{le="+Inf"}`, "", oneObjective),
			want: `  - name: checkout
    service: shop
    objective: 99.9
    window: 28d
    sli: {type: latency, threshold: 1500ms}
`,
		},
		{
			name: "calendar month in UTC, two objectives",
			doc: sloDoc(badQ(`http_requests_total{code=~"5.."}`), `http_requests_total`,
				`[{duration: 1M, isRolling: false, calendar: {startTime: "2025-01-01 00:00:00", timeZone: UTC}}]`,
				"  objectives: [{displayName: Internal, target: 0.995}, {target: 0.99}]\n"),
			want: `  - name: checkout-internal
    service: shop
    objective: 99.5
    window: month
    sli: {type: availability, bad_status: [5xx]}
  - name: checkout-2
    service: shop
    objective: 99
    window: month
    sli: {type: availability, bad_status: [5xx]}
`,
		},
		{
			name: "a burn-rate alert policy of its own",
			doc: sloDoc(badQ(`http_requests_total{code=~"5.."}`), `http_requests_total`, "", oneObjective+`  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: fast-burn}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: fast}
            spec: {severity: critical, condition: {kind: burnrate, op: gt, threshold: 14, lookbackWindow: 2h, alertAfter: 5m}}
        notificationTargets: [{targetRef: pager}]
`),
			want: `  - name: checkout
    service: shop
    objective: 99.9
    window: 28d
    sli: {type: availability, bad_status: [5xx]}
    alerting:
      tiers:
        - name: page-1h
          disabled: true
        - name: page-6h
          disabled: true
        - name: ticket-1d
          disabled: true
        - name: ticket-3d
          disabled: true
        - name: fast-burn
          severity: page
          budget_share: 4.166667
          long: 2h
          short: 10m
          for: 5m
`,
		},
		{
			name: "not an HTTP metric",
			doc:  sloDoc(goodQ(`sum(queue_messages_processed_total{ok="true"})`), `sum(queue_messages_processed_total)`, "", oneObjective),
			err:  "spec.indicator.spec.ratioMetric.total: metric queue_messages_processed_total does not count HTTP requests",
		},
		{
			name: "an expression, not a selector",
			doc:  sloDoc(goodQ(`sum(rate(http_requests_total{code="200"}[5m])) * 2`), `sum(rate(http_requests_total[5m]))`, "", oneObjective),
			err:  "spec.indicator.spec.ratioMetric.good.metricSource.spec.query:",
		},
		{
			name: "good on another label than the status",
			doc:  sloDoc(goodQ(`http_requests_total{cache="hit"}`), `http_requests_total`, "", oneObjective),
			err:  `spec.indicator.spec.ratioMetric.good: cache="hit": headroom tells good from bad requests by their status`,
		},
		{
			name: "a total the good does not narrow",
			doc:  sloDoc(goodQ(`http_requests_total{code="200"}`), `http_requests_total{job="a"}`, "", oneObjective),
			err:  `spec.indicator.spec.ratioMetric.total: selects job="a", which spec.indicator.spec.ratioMetric.good does not`,
		},
		{
			name: "sub-millisecond latency threshold",
			doc:  sloDoc(goodQ(`http_request_duration_seconds_bucket{le="0.0005"}`), `http_request_duration_seconds_count`, "", oneObjective),
			err:  "headroom's latency thresholds are whole milliseconds",
		},
		{
			name: "calendar week in another time zone",
			doc: sloDoc(badQ(`http_requests_total{code=~"5.."}`), `http_requests_total`,
				`[{duration: 1w, isRolling: false, calendar: {startTime: "2024-01-01 00:00:00", timeZone: Europe/Paris}}]`, oneObjective),
			err: "spec.timeWindow[0].calendar.timeZone: Europe/Paris: headroom's calendar windows are in UTC",
		},
		{
			name: "calendar month not from the first",
			doc: sloDoc(badQ(`http_requests_total{code=~"5.."}`), `http_requests_total`,
				`[{duration: 1M, isRolling: false, calendar: {startTime: "2024-01-15 00:00:00", timeZone: UTC}}]`, oneObjective),
			err: "spec.timeWindow[0].duration: 1M from 2024-01-15 00:00:00",
		},
		{
			name: "rolling month",
			doc:  sloDoc(badQ(`http_requests_total{code=~"5.."}`), `http_requests_total`, `[{duration: 1M, isRolling: true}]`, oneObjective),
			err:  "spec.timeWindow[0].duration: 1M: a rolling window of months",
		},
		{
			name: "Datadog",
			doc:  strings.ReplaceAll(sloDoc(goodQ(`x`), `y`, "", oneObjective), "type: Prometheus", "type: Datadog"),
			err:  `spec.indicator.spec.ratioMetric.total.metricSource.type: "Datadog": headroom reads Prometheus queries`,
		},
		{
			name: "objectives with different targets in a composite",
			doc: `apiVersion: openslo/v1
kind: SLO
metadata: {name: journey}
spec:
  service: shop
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - {target: 0.99, indicatorRef: a, compositeWeight: 2}
    - {target: 0.95, indicatorRef: b}
`,
			err: "spec.objectives[1].target: 95: a headroom composite has one objective",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slos, err := Import([]File{{Name: "in.yaml", Data: []byte(tc.doc)}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v\nwant it to say %q", err, tc.err)
				}
				if !strings.Contains(err.Error(), "in.yaml: document 1 (SLO ") {
					t.Errorf("error %v does not name the file and document", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := Render(&b, slos); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range strings.SplitAfter(b.String(), "\n") {
				if !strings.HasPrefix(strings.TrimSpace(l), "#") && l != "slos:\n" {
					got = append(got, l)
				}
			}
			if d := cmp.Diff(tc.want, strings.Join(got, "")); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			validates(t, slos, b.Bytes())
		})
	}
}

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want selector
		err  bool
	}{
		{q: `http_requests_total`, want: selector{metric: "http_requests_total"}},
		{q: `sum(rate(a{b="c", d=~'e|f'}[{{.window}}]))`, want: selector{metric: "a", matchers: []matcher{{"b", "=", "c"}, {"d", "=~", "e|f"}}}},
		{q: `sum without (pod) (irate(a{b!="x\"y"}[5m]))`, want: selector{metric: "a", matchers: []matcher{{"b", "!=", `x"y`}}}},
		{q: `sum(increase(a[1h])) by (route)`, want: selector{metric: "a"}},
		{q: `{__name__="a",code!~"5.."}`, want: selector{metric: "a", matchers: []matcher{{"code", "!~", "5.."}}}},
		{q: `sum(a) / sum(b)`, err: true},
		{q: `avg(a)`, err: true},
		{q: `sum(rate(a{b="c"}[5m])`, err: true},
		{q: `a{b=c}`, err: true},
		{q: `{code="500"}`, err: true},
	} {
		got, err := parseSelector(tc.q)
		if (err != nil) != tc.err {
			t.Errorf("%s: error %v, want error %v", tc.q, err, tc.err)
			continue
		}
		if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(selector{}, matcher{})); !tc.err && d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.q, d)
		}
	}
}

func TestStatusTerms(t *testing.T) {
	for _, tc := range []struct {
		ms   []matcher
		want []string
	}{
		{[]matcher{{"code", "=~", "5.."}}, []string{"5xx"}},
		{[]matcher{{"code", "=~", "(5..|429)"}}, []string{"429", "5xx"}},
		{[]matcher{{"code", "=~", "2xx|4xx"}}, []string{"2xx", "4xx"}},
		{[]matcher{{"status", "=~", "50[0-4]"}}, []string{"500-504"}},
		{[]matcher{{"code", "!~", "2..|3.."}, {"code", "!=", "404"}}, []string{"1xx", "400-403", "405-499", "5xx"}},
		{[]matcher{{"code", "=", "total"}}, nil},
	} {
		s, err := statusesOf(tc.ms)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, s.terms()); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.ms, d)
		}
	}
}

// FuzzImport: no input makes import panic, and whatever it imports renders.
func FuzzImport(f *testing.F) {
	f.Add([]byte(sloDoc(badQ(`http_requests_total{code=~"5.."}`), `http_requests_total`, "", oneObjective)))
	f.Add([]byte("version: prometheus/v1\nservice: a\nslos: [{name: x, objective: 99, sli: {events: {error_query: 'a{code=\"500\"}', total_query: 'a'}}}]\n"))
	f.Add([]byte(`sum(rate(a{b="c"}[5m]))`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseSelector(string(b))
		slos, _ := Import([]File{{Name: "f", Data: b}})
		var w bytes.Buffer
		if err := Render(&w, slos); err != nil {
			t.Fatal(err)
		}
	})
}
