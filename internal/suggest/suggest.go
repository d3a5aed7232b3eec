// Package suggest proposes SLOs from a service's stored history: what
// availability and latency it achieved in every window (each --window long,
// ending at a UTC midnight, stepped by a day), per route group; the worst
// windows and days with the routes and statuses behind them; the noise
// (health checks, bots, 4xx) and what it does to the SLI; and for candidate
// objectives, how many windows each would have met, the budget each window
// spent, and the pages and tickets the alert tiers would have fired (the
// alert backtest, over minute series read once). It recommends objectives
// by a stated rule and writes them as a `slos:` block the config accepts.
//
// It reads day cells for everything per window (a 28-day window is 28 cells,
// slid a day at a time) and minute cells once for the backtest.
package suggest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/sli"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// Source is the store suggest reads.
type Source interface {
	sli.Cells
	FirstStart(ctx context.Context, serviceID int64) (int64, bool, error)
	LastMinute(ctx context.Context, serviceID int64) (int64, bool, error)
}

var _ Source = (*store.Store)(nil)

// Default candidates.
var (
	// DefaultObjectives are the availability objectives tried, percent.
	DefaultObjectives = []float64{99, 99.5, 99.9, 99.95, 99.99}
	// DefaultLatencyObjectives are the objectives tried for each latency
	// threshold, percent.
	DefaultLatencyObjectives = []float64{90, 95, 99, 99.5, 99.9}
	// Percentiles are where the latency thresholds come from: the
	// history's p90, p95 and p99, rounded up (NiceCeil).
	Percentiles = []float64{90, 95, 99}
)

// The recommendation rule's numbers.
const (
	// MetShare is the share of complete windows a recommended objective
	// must have been met in.
	MetShare = 0.9
	// MaxPagesPerWindow is how many pages a recommended objective may have
	// fired per window length of history (per 28 days with --window 28d).
	MaxPagesPerWindow = 2.0
)

// Rule says the recommendation rule in words.
func Rule(window time.Duration) string {
	return fmt.Sprintf("the highest objective met in at least %.0f%% of the complete %s windows whose page tier would have fired at most %g times per %s of history; for latency, the highest such objective over the thresholds, then the lowest threshold",
		MetShare*100, slo.FormatDuration(window), MaxPagesPerWindow, slo.FormatDuration(window))
}

// Options say what to analyse.
type Options struct {
	// Config is the loaded config: its alerting defaults apply to the
	// candidates, its SLOs of the service with a filter are route groups
	// too, and the recommended SLOs' names avoid its SLOs'.
	Config  *config.Config
	Service string
	// From and To bound the history read; zero: all that is stored.
	From, To time.Time
	// Window is the SLO window tried (whole days; 28d when 0).
	Window time.Duration
	// Objectives and LatencyObjectives are the candidates (percent);
	// the defaults when empty.
	Objectives, LatencyObjectives []float64
}

// Result is what suggest found. Times are UTC; latencies milliseconds;
// availabilities and shares ratios (0.999); objectives percent (99.9).
type Result struct {
	Service string    `json:"service"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Window  string    `json:"window"`
	// Overall is the service over the complete days of the range.
	Overall Window `json:"overall"`
	// Windows are the complete windows inside [From, To) that end at a UTC
	// midnight, a day apart, with the service's SLIs.
	Windows []Window `json:"windows"`
	// Groups are the route groups: the automatic ones, then the config's
	// SLOs of the service that have a filter.
	Groups []Group `json:"groups"`
	Noise  Noise   `json:"noise"`
	// WorstWindows are the windows of lowest availability that do not
	// overlap, worst first; WorstDays the days with the most bad requests.
	WorstWindows []Worst `json:"worst_windows"`
	WorstDays    []Worst `json:"worst_days"`
	// SlowDays are the days with the largest share of requests slower
	// than the p99 threshold, among those with over 1.5 times the median
	// day's share.
	SlowDays []Worst `json:"slow_days"`
	// Thresholds are the latency thresholds tried.
	Thresholds []Threshold  `json:"latency_thresholds"`
	Candidates []Candidate  `json:"candidates"`
	Backtest   BacktestSpan `json:"backtest"`
	Rule       string       `json:"rule"`
	// Reasons say the recommendation in plain words.
	Reasons     []string       `json:"reasons"`
	Recommended []SuggestedSLO `json:"recommended"`
	// YAML is Recommended as a `slos:` block for the config.
	YAML string `json:"yaml"`
}

// Window is one complete window and the service's SLIs over it.
type Window struct {
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Requests     float64   `json:"requests"`
	Bad          float64   `json:"bad"` // 5xx
	Availability float64   `json:"availability"`
	P90          float64   `json:"p90_ms"`
	P95          float64   `json:"p95_ms"`
	P99          float64   `json:"p99_ms"`
}

// Group is a route group over the whole range (its complete days) and
// per window.
type Group struct {
	Name string `json:"name"`
	// Kind is "auto" (Classify) or "filter" (an SLO's filter).
	Kind     string   `json:"kind"`
	Routes   []string `json:"routes"` // "METHOD /template", the busiest first
	Requests float64  `json:"requests"`
	Share    float64  `json:"share"` // of the service's requests
	Bad      float64  `json:"bad"`
	// Availability is over the whole range; MinAvailability and
	// MedianAvailability over its windows.
	Availability       float64 `json:"availability"`
	MinAvailability    float64 `json:"min_availability"`
	MedianAvailability float64 `json:"median_availability"`
	P90                float64 `json:"p90_ms"`
	P95                float64 `json:"p95_ms"`
	P99                float64 `json:"p99_ms"`
	MaxP99             float64 `json:"max_window_p99_ms"`
	// ClientErrors is the share of 4xx; AvailabilityWithout4xx the
	// availability were they not counted at all.
	ClientErrors           float64 `json:"client_errors"`
	AvailabilityWithout4xx float64 `json:"availability_without_4xx"`
	// Health and Bots are the shares of health checks and bots (Classify)
	// in the group; AvailabilityWithoutHealthBots the availability were
	// they not counted.
	Health                        float64 `json:"health"`
	Bots                          float64 `json:"bots"`
	AvailabilityWithoutHealthBots float64 `json:"availability_without_health_bots"`
	// PerWindow is the group's availability and p99 in each window, in
	// the order of Result.Windows.
	PerWindow []GroupWindow `json:"per_window"`
}

// GroupWindow is a group's SLIs in one window.
type GroupWindow struct {
	Requests     float64 `json:"requests"`
	Availability float64 `json:"availability"`
	P90          float64 `json:"p90_ms"`
	P95          float64 `json:"p95_ms"`
	P99          float64 `json:"p99_ms"`
}

// Noise is what requests that say little about users do to the service's
// SLIs over the whole range: health checks, bots and 4xx.
type Noise struct {
	Health       float64 `json:"health"` // share of requests
	Bots         float64 `json:"bots"`
	ClientErrors float64 `json:"client_errors"`
	Availability float64 `json:"availability"`
	// AvailabilityWithoutHealthBots and P99WithoutHealthBots are the SLIs
	// with health checks and bots excluded; AvailabilityWithout4xx with
	// 4xx excluded.
	AvailabilityWithoutHealthBots float64 `json:"availability_without_health_bots"`
	AvailabilityWithout4xx        float64 `json:"availability_without_4xx"`
	P99                           float64 `json:"p99_ms"`
	P99WithoutHealthBots          float64 `json:"p99_without_health_bots_ms"`
}

// Worst is a bad stretch of history and what caused it.
type Worst struct {
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Requests     float64   `json:"requests"`
	Bad          float64   `json:"bad"`
	Availability float64   `json:"availability"`
	// Slow counts requests above the p99 threshold (Thresholds' last).
	Slow        float64 `json:"slow"`
	TopRoutes   []Cause `json:"top_routes"`   // by bad requests
	TopStatuses []Cause `json:"top_statuses"` // by bad requests
	SlowRoutes  []Cause `json:"slow_routes"`  // by slow requests
}

// Cause is a route ("GET /api/deals") or status with its share of the bad
// (or slow) requests.
type Cause struct {
	Key   string  `json:"key"`
	Count float64 `json:"count"`
	Share float64 `json:"share"`
}

// Threshold is a latency threshold tried: a percentile of the history,
// rounded up.
type Threshold struct {
	Percentile float64 `json:"percentile"`
	ValueMs    float64 `json:"value_ms"`
	Ms         uint32  `json:"threshold_ms"`
}

// Candidate is an objective tried, over the service as a whole.
type Candidate struct {
	Type        string  `json:"type"` // availability or latency
	Objective   float64 `json:"objective"`
	ThresholdMs uint32  `json:"threshold_ms,omitempty"`
	Windows     int     `json:"windows"`
	Met         int     `json:"met"`
	// Missed are the ends of the windows not met.
	Missed []time.Time `json:"missed"`
	// BudgetSpent is the share of the error budget each window spent
	// (1: all of it), in the order of Result.Windows.
	BudgetSpent []float64 `json:"budget_spent"`
	Pages       int       `json:"pages"`
	Tickets     int       `json:"tickets"`
	// Qualifies says the candidate passes the rule (Rule).
	Qualifies bool `json:"qualifies"`
}

// BacktestSpan is the range the alerts were counted over: the requested
// range, from where minute cells and every tier's window are stored.
type BacktestSpan struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Step string    `json:"step"`
}

// SuggestedSLO is a recommended SLO in the config's shape.
type SuggestedSLO struct {
	Name        string       `json:"name" yaml:"name"`
	Service     string       `json:"service" yaml:"service"`
	Description string       `json:"description" yaml:"description"`
	Objective   float64      `json:"objective" yaml:"objective"`
	Window      string       `json:"window" yaml:"window"`
	SLI         SuggestedSLI `json:"sli" yaml:"sli"`
}

// SuggestedSLI is a recommended SLO's sli.
type SuggestedSLI struct {
	Type      string `json:"type" yaml:"type"`
	Threshold string `json:"threshold,omitempty" yaml:"threshold,omitempty"`
}

// dayS is a day in seconds.
const dayS = int64(store.Day)

// Run analyses a service's history.
func Run(ctx context.Context, src Source, opt Options) (*Result, error) {
	if opt.Window == 0 {
		opt.Window = 28 * 24 * time.Hour
	}
	if opt.Window <= 0 || opt.Window%(24*time.Hour) != 0 {
		return nil, fmt.Errorf("window %s: must be whole days", slo.FormatDuration(opt.Window))
	}
	if len(opt.Objectives) == 0 {
		opt.Objectives = DefaultObjectives
	}
	if len(opt.LatencyObjectives) == 0 {
		opt.LatencyObjectives = DefaultLatencyObjectives
	}
	for _, o := range slices.Concat(opt.Objectives, opt.LatencyObjectives) {
		if !(o > 0 && o < 100) {
			return nil, fmt.Errorf("objective %g: must be a percentage between 0 and 100", o)
		}
	}
	svc, err := src.ServiceID(ctx, opt.Service, false)
	if err != nil {
		return nil, err
	}
	if svc == 0 {
		return nil, fmt.Errorf("service %q: nothing stored yet", opt.Service)
	}
	floors, err := sli.ReadFloors(ctx, src)
	if err != nil {
		return nil, err
	}
	from, to, err := historyRange(ctx, src, svc, opt.From, opt.To)
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", opt.Service, err)
	}
	a := &analysis{opt: opt, src: src, svc: svc, floors: floors, from: from, to: to}
	a.firstDay = ceilTo(from.Unix(), dayS)
	a.days = int((to.Unix() - to.Unix()%dayS - a.firstDay) / dayS)
	a.wdays = int(opt.Window / (24 * time.Hour))
	if a.days < a.wdays {
		return nil, fmt.Errorf("service %q: no complete %s window ending at a UTC midnight between %s and %s: use a shorter --window or a longer range",
			opt.Service, slo.FormatDuration(opt.Window), from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if err := a.readDims(ctx); err != nil {
		return nil, err
	}
	if err := a.readDays(ctx); err != nil {
		return nil, err
	}
	res := &Result{Service: opt.Service, From: from, To: to, Window: slo.FormatDuration(opt.Window), Rule: Rule(opt.Window)}
	a.windows(res)
	a.groups(res)
	a.noise(res)
	a.thresholds(res)
	if err := a.readCauses(ctx, res); err != nil {
		return nil, err
	}
	a.worst(res)
	if err := a.candidates(ctx, res); err != nil {
		return nil, err
	}
	if err := a.recommend(res); err != nil {
		return nil, err
	}
	return res, nil
}

// historyRange returns the range to analyse: from and to as given, else
// the first stored minute (the finest cell kept) and the end of the last.
func historyRange(ctx context.Context, src Source, svc int64, from, to time.Time) (time.Time, time.Time, error) {
	if from.IsZero() {
		first, ok, err := src.FirstStart(ctx, svc)
		if err != nil {
			return from, to, err
		}
		if !ok {
			return from, to, errors.New("nothing stored yet")
		}
		// The first cell may be a day's or an hour's: find the first
		// hour, then the first minute, stored in it.
		for _, r := range []struct{ res, span int64 }{{store.Hour, dayS}, {store.Minute, store.Hour}} {
			found := false
			err := src.ReadCells(ctx, svc, r.res, first, first+r.span, func(sp *store.Span) error {
				if !found {
					first, found = sp.Start, true
				}
				return nil
			})
			if err != nil {
				return from, to, err
			}
		}
		from = time.Unix(first, 0).UTC()
	}
	if to.IsZero() {
		last, ok, err := src.LastMinute(ctx, svc)
		if err != nil {
			return from, to, err
		}
		if !ok {
			return from, to, errors.New("no minute cells stored")
		}
		to = time.Unix(last+60, 0).UTC()
	}
	from, to = from.UTC().Truncate(time.Minute), slo.EndMinute(to.UTC())
	if !from.Before(to) {
		return from, to, fmt.Errorf("empty range %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, nil
}

func ceilTo(a, b int64) int64 {
	if m := a % b; m != 0 {
		return a + b - m
	}
	return a
}

// Group indices: 0 is the service, then the automatic groups, then the
// filters' groups, then the service without health checks and bots.
const gService = 0

// analysis is one Run's state.
type analysis struct {
	opt      Options
	src      Source
	svc      int64
	floors   sli.Floors
	from, to time.Time
	firstDay int64 // Unix seconds of the first complete day
	days     int   // complete days in [from, to)
	wdays    int   // days per window

	groupNames []string
	groupKinds []string
	gQuiet     int         // the service without health checks and bots
	dims       []dimInfo   // by dimension id
	filterSLOs []*sli.Spec // the groups of kind "filter"

	// per day d and group g: at d*G+g
	tot, bad, cerr []float64
	// health, bots and quietBad are the health checks', the bots' and
	// the 5xx of neither in each group
	health, bots, quietBad []float64
	hist                   [][]uint64 // dense, by bucket index
	bounds                 []uint32   // bucket index → bound
	boundIdx               map[uint32]int
	routeReq               []map[string]float64 // per group: requests by route
	whole                  [][]uint64           // per group: the dense histogram of all complete days
	perWindow              [][]GroupWindow      // per group

	thr        []Threshold
	dayTimed   []float64   // per day, the service's timed requests
	dayFast    [][]float64 // per threshold, per day: timed ≤ threshold
	causesBad  []map[string]float64
	causesStat []map[string]float64
	causesSlow []map[string]float64
	daySlow    []float64
}

type dimInfo struct {
	groups []int
	bad    bool // 5xx
	cerr   bool // 4xx
	noise  int  // 1 health check, 2 bot, 0 neither
	key    string
	status string
}

func (a *analysis) readDims(ctx context.Context) error {
	dims, err := a.src.Dims(ctx, a.svc)
	if err != nil {
		return err
	}
	a.groupNames = append([]string{"service"}, AutoGroups...)
	a.groupKinds = []string{"service"}
	for range AutoGroups {
		a.groupKinds = append(a.groupKinds, "auto")
	}
	if a.opt.Config != nil {
		for _, s := range sli.CompileAll(a.opt.Config) {
			f := s.Config.Filter
			if s.Service != a.opt.Service || (f.Host.IsZero() && f.Route.IsZero() && len(f.Method) == 0 && f.Status.IsZero()) {
				continue
			}
			switch s.Config.SLI.Type {
			case config.Availability, config.Latency:
			default:
				continue // browser SLIs count beacons, not requests
			}
			a.filterSLOs = append(a.filterSLOs, s)
			a.groupNames = append(a.groupNames, s.Name)
			a.groupKinds = append(a.groupKinds, "filter")
		}
	}
	a.gQuiet = len(a.groupNames)
	auto := map[string]int{}
	for i, g := range AutoGroups {
		auto[g] = 1 + i
	}
	a.dims = make([]dimInfo, len(dims))
	for id, d := range dims {
		g := auto[Classify(d.Method, d.Route)]
		info := dimInfo{groups: []int{gService, g}, bad: d.Status >= 500 && d.Status < 600, cerr: d.Status >= 400 && d.Status < 500,
			key: d.Method + " " + d.Route, status: strconv.Itoa(d.Status)}
		for i, s := range a.filterSLOs {
			if s.Matches(d) {
				info.groups = append(info.groups, 1+len(AutoGroups)+i)
			}
		}
		switch g {
		case auto[GroupHealth]:
			info.noise = 1
		case auto[GroupBot]:
			info.noise = 2
		default:
			info.groups = append(info.groups, a.gQuiet)
		}
		a.dims[id] = info
	}
	return nil
}

// G is the number of groups kept per day (the shown ones and gQuiet).
func (a *analysis) G() int { return a.gQuiet + 1 }

// readDays sums the complete days' cells by group.
func (a *analysis) readDays(ctx context.Context) error {
	G := a.G()
	n := a.days * G
	a.tot, a.bad, a.cerr = make([]float64, n), make([]float64, n), make([]float64, n)
	a.health, a.bots, a.quietBad = make([]float64, n), make([]float64, n), make([]float64, n)
	a.hist = make([][]uint64, n)
	a.boundIdx = map[uint32]int{}
	a.routeReq = make([]map[string]float64, G)
	for g := range a.routeReq {
		a.routeReq[g] = map[string]float64{}
	}
	end := a.firstDay + int64(a.days)*dayS
	return a.src.ReadCells(ctx, a.svc, store.Day, a.firstDay, end, func(sp *store.Span) error {
		d := int((sp.Start - a.firstDay) / dayS)
		for i := range sp.Cell.Entries {
			e := &sp.Cell.Entries[i]
			if int(e.Dim) >= len(a.dims) {
				return fmt.Errorf("day %s: dimension %d not in the dictionary", time.Unix(sp.Start, 0).UTC().Format(time.DateOnly), e.Dim)
			}
			info := &a.dims[e.Dim]
			n := float64(e.Count)
			for _, g := range info.groups {
				k := d*G + g
				a.tot[k] += n
				if info.bad {
					a.bad[k] += n
				}
				if info.cerr {
					a.cerr[k] += n
				}
				switch info.noise {
				case 1:
					a.health[k] += n
				case 2:
					a.bots[k] += n
				default:
					if info.bad {
						a.quietBad[k] += n
					}
				}
				a.routeReq[g][info.key] += n
				h := a.hist[k]
				for _, b := range e.Hist {
					if b.Le == cells.NoLatency {
						continue
					}
					bi, ok := a.boundIdx[b.Le]
					if !ok {
						bi = len(a.bounds)
						a.bounds = append(a.bounds, b.Le)
						a.boundIdx[b.Le] = bi
					}
					if bi >= len(h) {
						h = append(h, make([]uint64, bi+1-len(h))...)
					}
					h[bi] += b.N
				}
				a.hist[k] = h
			}
		}
		return nil
	})
}

// histOf turns a dense histogram into a cells.Hist.
func (a *analysis) histOf(dense []uint64) cells.Hist {
	var h cells.Hist
	for i, n := range dense {
		if n > 0 {
			h = append(h, cells.Bucket{Le: a.bounds[i], N: n})
		}
	}
	slices.SortFunc(h, func(x, y cells.Bucket) int { return int64cmp(int64(x.Le), int64(y.Le)) })
	return h
}

func int64cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addDense adds src into dst (growing it) with sign +1 or -1.
func addDense(dst []uint64, src []uint64, sub bool) []uint64 {
	if len(src) > len(dst) {
		dst = append(dst, make([]uint64, len(src)-len(dst))...)
	}
	for i, n := range src {
		if sub {
			dst[i] -= n
		} else {
			dst[i] += n
		}
	}
	return dst
}

// quantiles returns the p90, p95 and p99 of h (NaN when it is empty: 0).
func quantiles(h cells.Hist) (p90, p95, p99 float64) {
	q := func(p float64) float64 {
		v := h.Quantile(p)
		if math.IsNaN(v) {
			return 0
		}
		return math.Round(v*10) / 10
	}
	return q(0.90), q(0.95), q(0.99)
}

func availability(total, bad float64) float64 {
	return slo.Counts{Total: total, Good: total - bad}.SLI()
}

func (a *analysis) dayTime(d int) time.Time { return time.Unix(a.firstDay+int64(d)*dayS, 0).UTC() }

// windows fills the windows and each group's per-window SLIs, sliding a
// window of day sums a day at a time.
func (a *analysis) windows(res *Result) {
	G := a.G()
	sumTot, sumBad := make([]float64, G), make([]float64, G)
	dense := make([][]uint64, G)
	perWindow := make([][]GroupWindow, G)
	for d := range a.days {
		for g := range G {
			k := d*G + g
			sumTot[g] += a.tot[k]
			sumBad[g] += a.bad[k]
			dense[g] = addDense(dense[g], a.hist[k], false)
			if d >= a.wdays {
				o := (d-a.wdays)*G + g
				sumTot[g] -= a.tot[o]
				sumBad[g] -= a.bad[o]
				dense[g] = addDense(dense[g], a.hist[o], true)
			}
		}
		if d < a.wdays-1 {
			continue
		}
		for g := range G {
			h := a.histOf(dense[g])
			p90, p95, p99 := quantiles(h)
			if g == gService {
				res.Windows = append(res.Windows, Window{
					Start: a.dayTime(d + 1 - a.wdays), End: a.dayTime(d + 1), Requests: sumTot[g], Bad: sumBad[g],
					Availability: availability(sumTot[g], sumBad[g]), P90: p90, P95: p95, P99: p99,
				})
			}
			perWindow[g] = append(perWindow[g], GroupWindow{Requests: sumTot[g], Availability: availability(sumTot[g], sumBad[g]), P90: p90, P95: p95, P99: p99})
		}
	}
	a.perWindow = perWindow
}
