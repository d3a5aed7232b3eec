package suggest

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"

	"github.com/headroom-slo/headroom/internal/store"
)

// sumDays returns a group's requests, bad and 4xx over days [d0, d1).
func (a *analysis) sumDays(g, d0, d1 int) (tot, bad, cerr float64) {
	G := a.G()
	for d := d0; d < d1; d++ {
		tot += a.tot[d*G+g]
		bad += a.bad[d*G+g]
		cerr += a.cerr[d*G+g]
	}
	return tot, bad, cerr
}

// groups fills the route groups over the whole range.
func (a *analysis) groups(res *Result) {
	G := a.G()
	a.whole = make([][]uint64, G)
	for g := range G {
		for d := range a.days {
			a.whole[g] = addDense(a.whole[g], a.hist[d*G+g], false)
		}
	}
	svcTot, svcBad, _ := a.sumDays(gService, 0, a.days)
	o := Window{Start: a.dayTime(0), End: a.dayTime(a.days), Requests: svcTot, Bad: svcBad, Availability: availability(svcTot, svcBad)}
	o.P90, o.P95, o.P99 = quantiles(a.histOf(a.whole[gService]))
	res.Overall = o
	for g := 1; g < a.gQuiet; g++ {
		tot, bad, cerr := a.sumDays(g, 0, a.days)
		if tot == 0 && a.groupKinds[g] == "auto" {
			continue
		}
		gr := Group{Name: a.groupNames[g], Kind: a.groupKinds[g], Requests: tot, Bad: bad,
			Availability: availability(tot, bad), AvailabilityWithout4xx: availability(tot-cerr, bad),
			PerWindow: a.perWindow[g]}
		if svcTot > 0 {
			gr.Share = tot / svcTot
		}
		var health, bots, quietBad float64
		for d := range a.days {
			k := d*G + g
			health, bots, quietBad = health+a.health[k], bots+a.bots[k], quietBad+a.quietBad[k]
		}
		gr.AvailabilityWithoutHealthBots = availability(tot-health-bots, quietBad)
		if tot > 0 {
			gr.ClientErrors, gr.Health, gr.Bots = cerr/tot, health/tot, bots/tot
		}
		gr.P90, gr.P95, gr.P99 = quantiles(a.histOf(a.whole[g]))
		avails := make([]float64, 0, len(gr.PerWindow))
		for _, w := range gr.PerWindow {
			avails = append(avails, w.Availability)
			gr.MaxP99 = max(gr.MaxP99, w.P99)
		}
		slices.Sort(avails)
		if len(avails) > 0 {
			gr.MinAvailability, gr.MedianAvailability = avails[0], avails[len(avails)/2]
		}
		gr.Routes = topKeys(a.routeReq[g], 0)
		res.Groups = append(res.Groups, gr)
	}
}

// topKeys returns m's keys by value, largest first (ties by key); all
// when n is 0.
func topKeys(m map[string]float64, n int) []string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y string) int { return cmp.Or(cmp.Compare(m[y], m[x]), cmp.Compare(x, y)) })
	if n > 0 && len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// noise fills the shares of health checks, bots and 4xx, and their effect.
func (a *analysis) noise(res *Result) {
	tot, bad, cerr := a.sumDays(gService, 0, a.days)
	health, _, _ := a.sumDays(1+slices.Index(AutoGroups, GroupHealth), 0, a.days)
	bots, _, _ := a.sumDays(1+slices.Index(AutoGroups, GroupBot), 0, a.days)
	qt, qb, _ := a.sumDays(a.gQuiet, 0, a.days)
	n := Noise{Availability: availability(tot, bad), AvailabilityWithoutHealthBots: availability(qt, qb),
		AvailabilityWithout4xx: availability(tot-cerr, bad)}
	if tot > 0 {
		n.Health, n.Bots, n.ClientErrors = health/tot, bots/tot, cerr/tot
	}
	_, _, n.P99 = quantiles(a.histOf(a.whole[gService]))
	_, _, n.P99WithoutHealthBots = quantiles(a.histOf(a.whole[a.gQuiet]))
	res.Noise = n
}

// NiceCeil rounds a latency up to two significant digits, the second 0 or
// 5 (87 → 90, 143 → 150, 1234 → 1500); below 10 ms to the millisecond.
// Every such value is a bound of the store's latency grid up to 60 s, so
// counts at it are exact.
func NiceCeil(ms float64) uint32 {
	v := uint32(math.Ceil(ms))
	if v < 10 {
		return max(v, 1)
	}
	step := uint32(5)
	for lim := uint32(100); v > lim; lim *= 10 {
		step *= 10
	}
	return (v + step - 1) / step * step
}

// thresholds picks the latency thresholds from the service's percentiles
// and counts each day's requests within them.
func (a *analysis) thresholds(res *Result) {
	h := a.histOf(a.whole[gService])
	if h.Timed() == 0 {
		return
	}
	for _, p := range Percentiles {
		v := h.Quantile(p / 100)
		t := Threshold{Percentile: p, ValueMs: math.Round(v*10) / 10, Ms: NiceCeil(v)}
		if k := len(a.thr); k > 0 && a.thr[k-1].Ms == t.Ms {
			a.thr[k-1] = t // one threshold for both: named by the higher percentile
			continue
		}
		a.thr = append(a.thr, t)
	}
	res.Thresholds = a.thr
	G := a.G()
	a.dayTimed = make([]float64, a.days)
	a.dayFast = make([][]float64, len(a.thr))
	for k := range a.thr {
		a.dayFast[k] = make([]float64, a.days)
	}
	for d := range a.days {
		for bi, n := range a.hist[d*G+gService] {
			a.dayTimed[d] += float64(n)
			for k, t := range a.thr {
				if a.bounds[bi] <= t.Ms {
					a.dayFast[k][d] += float64(n)
				}
			}
		}
	}
}

// readCauses reads the day cells again for what made each day bad: bad
// requests by route and status, and requests slower than the highest
// threshold by route.
func (a *analysis) readCauses(ctx context.Context, res *Result) error {
	a.causesBad = make([]map[string]float64, a.days)
	a.causesStat = make([]map[string]float64, a.days)
	a.causesSlow = make([]map[string]float64, a.days)
	a.daySlow = make([]float64, a.days)
	var slowMs uint32
	if len(a.thr) > 0 {
		slowMs = a.thr[len(a.thr)-1].Ms
	}
	end := a.firstDay + int64(a.days)*dayS
	return a.src.ReadCells(ctx, a.svc, store.Day, a.firstDay, end, func(sp *store.Span) error {
		d := int((sp.Start - a.firstDay) / dayS)
		bad, stat, slow := map[string]float64{}, map[string]float64{}, map[string]float64{}
		for i := range sp.Cell.Entries {
			e := &sp.Cell.Entries[i]
			info := &a.dims[e.Dim] // readDays checked the ids
			if info.bad {
				bad[info.key] += float64(e.Count)
				stat[info.status] += float64(e.Count)
			}
			if slowMs > 0 {
				if s := float64(e.Hist.Timed()) - e.Hist.CountLE(slowMs, true); s > 0 {
					slow[info.key] += s
					a.daySlow[d] += s
				}
			}
		}
		a.causesBad[d], a.causesStat[d], a.causesSlow[d] = bad, stat, slow
		return nil
	})
}

// How many worst windows and days are shown, and causes each.
const (
	worstWindows = 3
	worstDays    = 5
	topCauses    = 3
	// slowFactor is how many times the median day's share of slow
	// requests a slow day has.
	slowFactor = 1.5
)

// worst fills the worst windows (lowest availability, not overlapping)
// and the worst days (most bad requests), with their causes.
func (a *analysis) worst(res *Result) {
	order := make([]int, 0, len(res.Windows))
	for i, w := range res.Windows {
		if w.Bad > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(i, j int) int {
		return cmp.Compare(res.Windows[i].Availability, res.Windows[j].Availability)
	})
	var picked []int
	for _, i := range order {
		if len(picked) == worstWindows {
			break
		}
		if slices.ContainsFunc(picked, func(j int) bool { return abs(i-j) < a.wdays }) {
			continue
		}
		picked = append(picked, i)
		res.WorstWindows = append(res.WorstWindows, a.worstOf(i, i+a.wdays))
	}
	days := make([]int, 0, a.days)
	G := a.G()
	for d := range a.days {
		if a.bad[d*G+gService] > 0 {
			days = append(days, d)
		}
	}
	slices.SortStableFunc(days, func(x, y int) int { return cmp.Compare(a.bad[y*G+gService], a.bad[x*G+gService]) })
	for _, d := range days[:min(len(days), worstDays)] {
		res.WorstDays = append(res.WorstDays, a.worstOf(d, d+1))
	}
	if len(a.dayTimed) == 0 {
		return // no latencies
	}
	share := func(d int) float64 {
		if a.dayTimed[d] == 0 {
			return 0
		}
		return a.daySlow[d] / a.dayTimed[d]
	}
	shares := make([]float64, a.days)
	for d := range a.days {
		shares[d] = share(d)
	}
	slices.Sort(shares)
	median := shares[len(shares)/2]
	days = days[:0]
	for d := range a.days {
		if share(d) > slowFactor*median {
			days = append(days, d)
		}
	}
	slices.SortStableFunc(days, func(x, y int) int { return cmp.Compare(share(y), share(x)) })
	for _, d := range days[:min(len(days), worstDays)] {
		res.SlowDays = append(res.SlowDays, a.worstOf(d, d+1))
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// worstOf sums days [d0, d1) and their causes.
func (a *analysis) worstOf(d0, d1 int) Worst {
	tot, bad, _ := a.sumDays(gService, d0, d1)
	w := Worst{Start: a.dayTime(d0), End: a.dayTime(d1), Requests: tot, Bad: bad, Availability: availability(tot, bad)}
	byRoute, byStatus, slow := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for d := d0; d < d1; d++ {
		for k, v := range a.causesBad[d] {
			byRoute[k] += v
		}
		for k, v := range a.causesStat[d] {
			byStatus[k] += v
		}
		for k, v := range a.causesSlow[d] {
			slow[k] += v
		}
		w.Slow += a.daySlow[d]
	}
	w.TopRoutes = causes(byRoute, bad)
	w.TopStatuses = causes(byStatus, bad)
	w.SlowRoutes = causes(slow, w.Slow)
	return w
}

func causes(m map[string]float64, total float64) []Cause {
	var out []Cause
	for _, k := range topKeys(m, topCauses) {
		c := Cause{Key: k, Count: m[k]}
		if total > 0 {
			c.Share = m[k] / total
		}
		out = append(out, c)
	}
	return out
}

// fmtObjective prints an objective as the config writes it.
func fmtObjective(o float64) string { return strconv.FormatFloat(o, 'f', -1, 64) }
