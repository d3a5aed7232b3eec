package alert

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/slo"
)

// The scenarios: a 99.9% / 30d SLO at steady traffic (1,000 requests a
// minute), evaluated every 30 s on a fake clock, with second-by-second
// traffic so that detection and reset times are measured, not rounded.
const (
	objective = 0.999
	period    = 30 * 24 * time.Hour
	perSecond = 1000.0 / 60
	interval  = 30 * time.Second
)

// traffic is a second-by-second error ratio from day 0 on, with prefix sums
// for window totals.
type traffic struct {
	start     time.Time
	bad, good []float64 // prefix sums: bad[i] = bad events in [0, i) seconds
}

func newTraffic(start time.Time, d time.Duration, errRatio func(sec int) float64) *traffic {
	n := int(d / time.Second)
	tr := &traffic{start: start, bad: make([]float64, n+1), good: make([]float64, n+1)}
	for i := range n {
		r := errRatio(i)
		tr.bad[i+1] = tr.bad[i] + perSecond*r
		tr.good[i+1] = tr.good[i] + perSecond*(1-r)
	}
	return tr
}

// counts returns the events of [at−w, at).
func (tr *traffic) counts(at time.Time, w time.Duration) slo.Counts {
	hi := int(at.Sub(tr.start) / time.Second)
	lo := max(hi-int(w/time.Second), 0)
	bad, good := tr.bad[hi]-tr.bad[lo], tr.good[hi]-tr.good[lo]
	return slo.Counts{Total: bad + good, Good: good}
}

func (tr *traffic) measure(at time.Time, windows []time.Duration) Measure {
	m := Measure{SLO: "web", Period: period, Objective: objective, Windows: map[time.Duration]slo.Counts{}}
	for _, w := range windows {
		m.Windows[w] = tr.counts(at, w)
	}
	c := tr.counts(at, period)
	m.BudgetRemaining, m.WindowEvents = slo.BudgetRemaining(c, objective), c.Total
	return m
}

func defaultPolicy() Policy {
	var tiers []Tier
	for _, t := range slo.DefaultTiers() {
		tiers = append(tiers, Tier{Tier: t})
	}
	return Policy{SLO: "web", Service: "web", Tiers: tiers, MinEvents: 10, Exhausted: "ticket"}
}

// event is a transition as a scenario sees it.
type event struct {
	at       time.Duration // since the incident began
	key      string
	to       Phase
	severity string
}

// run evaluates every interval from the start of the traffic's last
// `evalFor` to its end, returning the transitions relative to incident.
func run(tr *traffic, incident time.Time, evalFrom, evalTo time.Time) []event {
	p := defaultPolicy()
	e := NewEvaluator([]Policy{p}, nil)
	ws := Windows([]Policy{p})
	var out []event
	for at := evalFrom; !at.After(evalTo); at = at.Add(interval) {
		for _, t := range e.Step(at, []Measure{tr.measure(at, ws)}, nil) {
			out = append(out, event{at: at.Sub(incident), key: t.State.Key, to: t.To, severity: t.State.Severity})
		}
	}
	return out
}

var day0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// Row is one line of the table in docs/alerting.md.
type row struct {
	scenario, alert, expected, measured string
}

var table []row

func TestMain(m *testing.M) {
	code := m.Run()
	if len(table) > 0 && code == 0 && testing.Verbose() {
		var b strings.Builder
		b.WriteString("| scenario | alert | expected | measured |\n|---|---|---|---|\n")
		for _, r := range table {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.scenario, r.alert, r.expected, r.measured)
		}
		fmt.Print(b.String())
	}
	if code != 0 {
		panic(fmt.Sprintf("exit %d", code))
	}
}

// detection is how long an error ratio r takes to push a window w's burn
// over threshold from a clean start: the window's error ratio is r·t/w.
func detection(r, threshold float64, w time.Duration) time.Duration {
	need := threshold * (1 - objective) // error ratio over the window
	if r <= need {
		return -1
	}
	return time.Duration(need / r * float64(w))
}

func TestOutagePagesAndResolves(t *testing.T) {
	incident := day0.Add(31 * 24 * time.Hour)
	outage := 20 * time.Minute
	end := incident.Add(2 * time.Hour)
	inc := int(incident.Sub(day0) / time.Second)
	tr := newTraffic(day0, end.Sub(day0), func(s int) float64 {
		if s >= inc && s < inc+int(outage/time.Second) {
			return 1
		}
		return 0
	})
	events := run(tr, incident, incident.Add(-time.Hour), end)
	tier := slo.DefaultTiers()[0] // page-1h: 14.4× over 1h and 5m
	th := tier.Threshold(period)
	want := max(detection(1, th, tier.Long), detection(1, th, tier.Short))
	var fired, resolved time.Duration = -1, -1
	for _, e := range events {
		switch {
		case e.key == "burn/web/page-1h" && e.to == Firing && fired < 0:
			fired = e.at
		case e.key == "burn/web/page-1h" && e.to == Inactive:
			resolved = e.at
		case e.severity == "page" && e.key != "burn/web/page-1h":
			t.Errorf("another page: %+v (the 1h tier suppresses slower page tiers)", e)
		}
	}
	if fired < 0 || fired > want+interval {
		t.Fatalf("page-1h fired %v after the outage began, want within %v (detection) + %v (interval); events %+v", fired, want.Round(time.Second), interval, events)
	}
	// Recovery: the short window (5m) drops under the threshold once it
	// holds less than threshold × ε of bad time.
	wantReset := tier.Short - time.Duration(th*(1-objective)*float64(tier.Short))
	if resolved < 0 || resolved-outage > wantReset+interval {
		t.Fatalf("page-1h resolved %v after recovery, want within %v + %v", resolved-outage, wantReset.Round(time.Second), interval)
	}
	table = append(table,
		row{"100% outage for 20 min", "page-1h fires", fmt.Sprintf("≤ %v + %v", want.Round(time.Second), interval), fired.String()},
		row{"… then recovery", "page-1h resolves", fmt.Sprintf("≤ %v + %v", wantReset.Round(time.Second), interval), (resolved - outage).String()})
	for _, e := range events {
		if e.key == "burn/web/page-6h" || e.key == "burn/web/ticket-1d" {
			t.Logf("%+v", e)
		}
	}
}

func TestSteadyDoubleBurnTicketsNeverPages(t *testing.T) {
	incident := day0.Add(31 * 24 * time.Hour)
	end := incident.Add(3 * 24 * time.Hour)
	inc := int(incident.Sub(day0) / time.Second)
	r := 2 * (1 - objective) // a steady 2× burn
	tr := newTraffic(day0, end.Sub(day0), func(s int) float64 {
		if s >= inc {
			return r
		}
		return 0
	})
	// Evaluate every interval over the three days.
	events := run(tr, incident, incident.Add(-time.Hour), end)
	ticket := slo.DefaultTiers()[3] // ticket-3d: 1× over 3d and 6h
	th := ticket.Threshold(period)
	want := max(detection(r, th, ticket.Long), detection(r, th, ticket.Short))
	var fired time.Duration = -1
	for _, e := range events {
		if e.severity == "page" {
			t.Fatalf("a 2× burn paged: %+v", e)
		}
		if e.key == "burn/web/ticket-3d" && e.to == Firing {
			fired = e.at
		}
		if e.key == "burn/web/ticket-1d" && e.to == Firing {
			t.Errorf("ticket-1d (3× over 1d) fired at 2×: %+v", e)
		}
	}
	if fired < 0 || fired > want+interval {
		t.Fatalf("ticket-3d fired %v after the burn began, want within %v + %v; events %+v", fired, want.Round(time.Minute), interval, events)
	}
	table = append(table, row{"steady 2× burn", "ticket-3d fires; no page", fmt.Sprintf("≤ %v + %v", want.Round(time.Second), interval), fired.String()})
}

func TestBlipWithinBudgetFiresNothing(t *testing.T) {
	incident := day0.Add(31 * 24 * time.Hour)
	end := incident.Add(12 * time.Hour)
	inc := int(incident.Sub(day0) / time.Second)
	tr := newTraffic(day0, end.Sub(day0), func(s int) float64 {
		if s >= inc && s < inc+10*60 {
			return 0.01 // 1% errors for 10 minutes: a 10× burn
		}
		return 0
	})
	if events := run(tr, incident, incident.Add(-time.Hour), end); len(events) > 0 {
		t.Fatalf("a 1%% blip fired: %+v", events)
	}
	table = append(table, row{"1% errors for 10 min", "nothing", "nothing", "nothing"})
}

func TestBudgetExhaustedAndMinEvents(t *testing.T) {
	incident := day0.Add(31 * 24 * time.Hour)
	inc := int(incident.Sub(day0) / time.Second)
	// 1h of 100% errors spends 1h/43.2 min > the whole 30-day budget at
	// steady traffic.
	tr := newTraffic(day0, 33*24*time.Hour, func(s int) float64 {
		if s >= inc && s < inc+3600 {
			return 1
		}
		return 0
	})
	events := run(tr, incident, incident, incident.Add(2*time.Hour))
	var exhausted bool
	for _, e := range events {
		if e.key == "exhausted/web" && e.to == Firing {
			exhausted = true
			// ε × events = 43.2 min of traffic: it fires once that much bad
			// time has passed.
			want := time.Duration((1 - objective) * float64(period))
			if e.at < want || e.at > want+2*interval {
				t.Errorf("budget exhausted at %v, want about %v", e.at, want.Round(time.Second))
			}
		}
	}
	if !exhausted {
		t.Errorf("no budget-exhausted alert: %+v", events)
	}
	// The guard: a tier does not fire on fewer long-window events than
	// MinEvents, however bad. Without the guard the same measure fires.
	burns := func(p Policy) int {
		m := tr.measure(incident.Add(30*time.Minute), Windows([]Policy{p}))
		n := 0
		for _, tr := range NewEvaluator([]Policy{p}, nil).Step(incident.Add(30*time.Minute), []Measure{m}, nil) {
			if tr.State.Kind == KindBurn {
				n++
			}
		}
		return n
	}
	if n := burns(defaultPolicy()); n == 0 {
		t.Fatal("the measure fires no burn tier without the min-events guard: the guard check below would test nothing")
	}
	p := defaultPolicy()
	p.MinEvents = 1e9
	if n := burns(p); n != 0 {
		t.Errorf("%d burn tiers fired under the min-events guard", n)
	}
}

func TestPendingForAndRestart(t *testing.T) {
	p := defaultPolicy()
	p.Tiers[0].For = 2 * time.Minute
	e := NewEvaluator([]Policy{p}, nil)
	bad := Measure{SLO: "web", Period: period, Objective: objective, Windows: map[time.Duration]slo.Counts{}}
	for _, w := range Windows([]Policy{p}) {
		bad.Windows[w] = slo.Counts{Total: 1000, Good: 0}
	}
	at := day0
	phases := func(trs []Transition) string {
		var s []string
		for _, t := range trs {
			if t.State.Key == "burn/web/page-1h" {
				s = append(s, t.From.String()+"→"+t.To.String())
			}
		}
		return strings.Join(s, ",")
	}
	if got := phases(e.Step(at, []Measure{bad}, nil)); got != "inactive→pending" {
		t.Fatalf("first step: %q, want pending", got)
	}
	if got := phases(e.Step(at.Add(time.Minute), []Measure{bad}, nil)); got != "" {
		t.Fatalf("after 1m: %q, want still pending", got)
	}
	if got := phases(e.Step(at.Add(2*time.Minute), []Measure{bad}, nil)); got != "pending→firing" {
		t.Fatalf("after 2m: %q, want firing", got)
	}
	// A restart from the stored states neither fires again nor forgets.
	e2 := NewEvaluator([]Policy{p}, e.States())
	if got := phases(e2.Step(at.Add(3*time.Minute), []Measure{bad}, nil)); got != "" {
		t.Fatalf("after a restart: %q, want no transition", got)
	}
	good := bad
	good.Windows = map[time.Duration]slo.Counts{}
	for _, w := range Windows([]Policy{p}) {
		good.Windows[w] = slo.Counts{Total: 1000, Good: 1000}
	}
	trs := e2.Step(at.Add(4*time.Minute), []Measure{good}, nil)
	if got := phases(trs); got != "firing→inactive" || !trs[0].Resolved() {
		t.Fatalf("recovery after a restart: %q", got)
	}
}

func TestNoData(t *testing.T) {
	e := NewEvaluator(nil, nil)
	broke := day0
	src := []Source{{Service: "web", Log: "/var/log/nginx/access.log*", Broken: "no file matches", Since: broke}}
	if trs := e.Step(broke.Add(NoDataAfter-time.Second), nil, src); len(trs) != 0 {
		t.Fatalf("no-data fired early: %+v", trs)
	}
	trs := e.Step(broke.Add(NoDataAfter), nil, src)
	if len(trs) != 1 || trs[0].State.Kind != KindNoData || trs[0].To != Firing {
		t.Fatalf("no-data: %+v", trs)
	}
	// A source that reads fine but has no new lines has no traffic: no
	// alert (and the broken one resolves).
	trs = e.Step(broke.Add(NoDataAfter+time.Minute), nil, []Source{{Service: "web", Log: src[0].Log}})
	if len(trs) != 1 || !trs[0].Resolved() {
		t.Fatalf("no-data after the source came back: %+v", trs)
	}
}

func TestDetectionMath(t *testing.T) {
	// page-1h on a 30-day period: 2% of the budget in 1h is a 14.4× burn.
	if th := slo.DefaultTiers()[0].Threshold(period); math.Abs(th-14.4) > 1e-9 {
		t.Fatalf("page-1h threshold %v", th)
	}
	// A full outage crosses 14.4 × 0.1% over 1h after 51.84 s.
	if d := detection(1, 14.4, time.Hour); d.Round(10*time.Millisecond) != 51840*time.Millisecond {
		t.Fatalf("detection %v", d)
	}
}
