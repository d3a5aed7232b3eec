package capacity

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/store"
)

// Source is the store as Read uses it (store.Store).
type Source interface {
	ServiceID(ctx context.Context, name string, create bool) (int64, error)
	Dims(ctx context.Context, serviceID int64) ([]store.DimValue, error)
	FirstStart(ctx context.Context, serviceID int64) (start int64, ok bool, err error)
	LastMinute(ctx context.Context, serviceID int64) (start int64, ok bool, err error)
	ReadCells(ctx context.Context, serviceID, res, from, to int64, fn func(*store.Span) error) error
	PrunedBefore(ctx context.Context, res int64) (int64, error)
}

var _ Source = (*store.Store)(nil)

// ReadOptions configure Read.
type ReadOptions struct {
	// Weeks of complete UTC days before the instant are read (default 12).
	Weeks int
	// Browser is set for a service that also takes browser beacons: their
	// events (stored under status codes below 100) are not requests.
	Browser bool
	Options
}

// DefaultWeeks is how many weeks of history Read reads by default.
const DefaultWeeks = 12

// LoadBand is a decile of the minutes with traffic, by their request
// rate, with the latency percentiles of their requests.
type LoadBand struct {
	Decile  int     `json:"decile"` // 1 (the quietest tenth) to 10
	FromRPS float64 `json:"from_rps"`
	ToRPS   float64 `json:"to_rps"`
	Minutes int     `json:"minutes"`
	P50     float64 `json:"p50_ms"` // NaN without timed requests
	P95     float64 `json:"p95_ms"`
	P99     float64 `json:"p99_ms"`
}

// Bend is where latency bends: the quietest decile whose p99 is more
// than BendRatio times the quietest decile's.
type Bend struct {
	Decile  int     `json:"decile"`
	RPS     float64 `json:"rps"` // the decile's lowest rate
	P99     float64 `json:"p99_ms"`
	BaseP99 float64 `json:"base_p99_ms"` // the quietest decile's
}

// BendRatio is how much the p99 must rise over the quietest decile's for
// latency to count as bending.
const BendRatio = 1.5

// Report is a service's capacity as of an instant.
type Report struct {
	Service string    `json:"service"`
	At      time.Time `json:"at"`
	// From and To bound the days read: [From, To), UTC midnights.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Days []Day     `json:"days"`
	// PeakRPS is the peak of the last day read (PeakDate); zero without
	// one.
	PeakRPS  float64   `json:"peak_rps"`
	PeakDate time.Time `json:"peak_date"`
	// Exact is false when some days were read from hour cells; Note says
	// which.
	Exact bool   `json:"exact"`
	Note  string `json:"note,omitempty"`
	// CapacityRPS is the declared capacity (0: none).
	CapacityRPS float64 `json:"capacity_rps"`
	*Analysis
	Load []LoadBand `json:"-"`
	Bend *Bend      `json:"-"`
	// CellsRead counts the cells read.
	CellsRead int `json:"-"`
}

// Read reads a service's last opts.Weeks weeks of complete UTC days before
// at (and before the end of its last stored minute) and analyses them.
// Days whose minute cells are kept get their exact peak from them; older
// days get an estimate from hour cells. Latency against load is taken
// from the minute cells.
func Read(ctx context.Context, src Source, service string, at time.Time, opts ReadOptions) (*Report, error) {
	if opts.Weeks <= 0 {
		opts.Weeks = DefaultWeeks
	}
	at = at.UTC()
	today := at.Truncate(24 * time.Hour)
	r := &Report{Service: service, At: at, To: today, From: today.AddDate(0, 0, -7*opts.Weeks), Exact: true, CapacityRPS: opts.CapacityRPS}
	id, err := src.ServiceID(ctx, service, false)
	if err != nil {
		return nil, fmt.Errorf("capacity of %s: %w", service, err)
	}
	if id != 0 {
		last, ok, err := src.LastMinute(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("capacity of %s: %w", service, err)
		}
		if ok && time.Unix(last+store.Minute, 0).UTC().Before(r.To) {
			// Days after the last stored minute are not complete yet (the
			// logs lag), or not known.
			r.To = time.Unix(last+store.Minute, 0).UTC().Truncate(24 * time.Hour)
		}
		first, ok, err := src.FirstStart(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("capacity of %s: %w", service, err)
		}
		if f := time.Unix(first, 0).UTC().Truncate(24 * time.Hour); ok && f.After(r.From) {
			r.From = f // no day before the service's first is known
		}
		if r.From.After(r.To) {
			r.From = r.To
		}
		if err := r.read(ctx, src, id, opts); err != nil {
			return nil, fmt.Errorf("capacity of %s: %w", service, err)
		}
	}
	for i := len(r.Days) - 1; i >= 0; i-- {
		if r.Days[i].Requests > 0 {
			r.PeakRPS, r.PeakDate = r.Days[i].PeakRPS, r.Days[i].Date
			break
		}
	}
	r.Analysis = Analyze(r.Days, today, opts.Options)
	r.Bend = bend(r.Load)
	return r, nil
}

// read fills the days and load bands of [r.From, r.To).
func (r *Report) read(ctx context.Context, src Source, id int64, opts ReadOptions) error {
	ndays := int(r.To.Sub(r.From).Hours() / 24)
	if ndays <= 0 {
		return nil
	}
	floor, err := src.PrunedBefore(ctx, store.Minute)
	if err != nil {
		return err
	}
	dims, err := src.Dims(ctx, id)
	if err != nil {
		return err
	}
	skip := make([]bool, len(dims))
	if opts.Browser {
		for i, d := range dims {
			skip[i] = d.Status > 0 && d.Status < 100
		}
	}
	count := func(c *cells.Cell) uint64 {
		var n uint64
		for _, e := range c.Entries {
			if int(e.Dim) < len(skip) && skip[e.Dim] {
				continue
			}
			n += e.Count
		}
		return n
	}
	from, to := r.From.Unix(), r.To.Unix()
	// Days starting before the minute floor are read from hour cells.
	exactFrom := min(max(from, ceilTo(floor, store.Day)), to)
	r.Days = make([]Day, ndays)
	for i := range r.Days {
		r.Days[i].Date = r.From.AddDate(0, 0, i)
		r.Days[i].Exact = r.Days[i].Date.Unix() >= exactFrom
	}
	if exactFrom > from {
		r.Exact = false
		r.Note = fmt.Sprintf("minute cells before %s were pruned (storage.retention.minutes): the peaks of the days before are the busiest hour's mean rate, a low estimate",
			time.Unix(exactFrom, 0).UTC().Format(time.DateOnly))
		err := src.ReadCells(ctx, id, store.Hour, from, exactFrom, func(sp *store.Span) error {
			r.CellsRead++
			d := &r.Days[(sp.Start-from)/store.Day]
			n := count(&sp.Cell)
			d.Requests += n
			d.PeakRPS = max(d.PeakRPS, float64(n)/store.Hour)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if exactFrom >= to {
		return nil
	}
	// The minute cells are most of the work (decoding 129,600 of them for
	// 90 days): read in a few ranges of whole days at once, each into its
	// own load bins and its own days of the minutes.
	minutes := make([]uint32, (to-exactFrom)/store.Minute)
	days := (to - exactFrom) / store.Day
	parts := min(int64(runtime.GOMAXPROCS(0)), maxReaders, days)
	accs := make([]map[uint32]*loadBin, parts)
	reads := make([]int, parts)
	g, gctx := errgroup.WithContext(ctx)
	for i := range parts {
		bins := map[uint32]*loadBin{}
		accs[i] = bins
		lo, hi := exactFrom+days*i/parts*store.Day, exactFrom+days*(i+1)/parts*store.Day
		g.Go(func() error {
			return src.ReadCells(gctx, id, store.Minute, lo, hi, func(sp *store.Span) error {
				reads[i]++
				n := count(&sp.Cell)
				if n == 0 {
					return nil
				}
				minutes[(sp.Start-exactFrom)/store.Minute] = uint32(min(n, math.MaxUint32))
				k := binKey(n)
				b := bins[k]
				if b == nil {
					b = &loadBin{key: k, lo: n, hi: n}
					bins[k] = b
				}
				b.minutes++
				b.lo, b.hi = min(b.lo, n), max(b.hi, n)
				for _, e := range sp.Cell.Entries {
					if int(e.Dim) < len(skip) && skip[e.Dim] || len(e.Hist) == 0 {
						continue
					}
					if len(b.hist) == 0 {
						b.hist = append(cells.Hist(nil), e.Hist...) // the span's memory is reused
						continue
					}
					b.hist.Merge(e.Hist)
				}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	bins := accs[0]
	for i, acc := range accs {
		r.CellsRead += reads[i]
		if i == 0 {
			continue
		}
		for k, b := range acc {
			x := bins[k]
			if x == nil {
				bins[k] = b
				continue
			}
			x.minutes += b.minutes
			x.lo, x.hi = min(x.lo, b.lo), max(x.hi, b.hi)
			x.hist.Merge(b.hist)
		}
	}
	first := int((exactFrom - from) / store.Day)
	for i := first; i < ndays; i++ {
		day := minutes[(i-first)*MinutesPerDay : (i-first+1)*MinutesPerDay]
		d := &r.Days[i]
		for _, n := range day {
			d.Requests += uint64(n)
		}
		d.PeakRPS = DailyPeak(day)
	}
	r.Load = bands(bins)
	return nil
}

// maxReaders bounds the minute cells' readers of one report (the store
// has four connections).
const maxReaders = 2

func ceilTo(v, unit int64) int64 {
	if m := v % unit; m != 0 {
		return v - m + unit
	}
	return v
}

// loadBin is the minutes of one load on the binning grid (binKey).
type loadBin struct {
	key     uint32
	minutes int
	lo, hi  uint64 // requests in its quietest and busiest minute
	hist    cells.Hist
}

// binKey groups minutes by request count: exactly below 200 requests, on
// a 1% grid above.
func binKey(n uint64) uint32 {
	if n < 200 {
		return uint32(n)
	}
	return 200 + uint32(math.Log(float64(n)/200)/math.Log1p(0.01))
}

// bands groups the bins into deciles of the minutes: a bin goes whole to
// the decile its middle minute falls in.
func bands(bins map[uint32]*loadBin) []LoadBand {
	if len(bins) == 0 {
		return nil
	}
	sorted := make([]*loadBin, 0, len(bins))
	total := 0
	for _, b := range bins {
		sorted = append(sorted, b)
		total += b.minutes
	}
	slices.SortFunc(sorted, func(a, b *loadBin) int { return int(a.key) - int(b.key) })
	var out []LoadBand
	var hist cells.Hist
	seen := 0
	for i, b := range sorted {
		dec := min(10, (2*seen+b.minutes)*10/(2*total)+1)
		if len(out) == 0 || out[len(out)-1].Decile != dec {
			if len(out) > 0 {
				finish(&out[len(out)-1], hist)
			}
			out = append(out, LoadBand{Decile: dec, FromRPS: float64(b.lo) / 60})
			hist = nil
		}
		band := &out[len(out)-1]
		band.ToRPS = float64(b.hi) / 60
		band.Minutes += b.minutes
		if len(hist) == 0 {
			hist = append(cells.Hist(nil), b.hist...)
		} else {
			hist.Merge(b.hist)
		}
		seen += b.minutes
		if i == len(sorted)-1 {
			finish(band, hist)
		}
	}
	return out
}

func finish(b *LoadBand, h cells.Hist) {
	b.P50, b.P95, b.P99 = h.Quantile(0.50), h.Quantile(0.95), h.Quantile(0.99)
}

// bend finds where latency bends (nil when it does not).
func bend(bands []LoadBand) *Bend {
	if len(bands) < 2 || math.IsNaN(bands[0].P99) || bands[0].P99 <= 0 {
		return nil
	}
	base := bands[0].P99
	for _, b := range bands[1:] {
		if b.P99 > BendRatio*base {
			return &Bend{Decile: b.Decile, RPS: b.FromRPS, P99: b.P99, BaseP99: base}
		}
	}
	return nil
}
