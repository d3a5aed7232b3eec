package rum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

const testOrigin = "https://app.example.com"

// testConfig has two frontend apps; web has an SLO of every browser SLI
// type (a web_vital one for each vital), shop a js_errors one.
const testConfig = `
services:
  - {name: web, rum: {origins: ["*"]}}
  - {name: shop, rum: {origins: ["*"]}}
slos:
  - {name: errors, service: web, objective: 99, window: 28d, sli: {type: js_errors}}
  - {name: api, service: web, objective: 99, window: 28d, sli: {type: browser_api}}
  - {name: lcp, service: web, objective: 75, window: 28d, sli: {type: web_vital, vital: LCP, threshold: 2.5s}}
  - {name: inp, service: web, objective: 75, window: 28d, sli: {type: web_vital, vital: INP, threshold: 200ms}}
  - {name: cls, service: web, objective: 75, window: 28d, sli: {type: web_vital, vital: CLS, score: 0.1}}
  - {name: fcp, service: web, objective: 75, window: 28d, sli: {type: web_vital, vital: FCP, threshold: 1.8s}}
  - {name: ttfb, service: web, objective: 75, window: 28d, sli: {type: web_vital, vital: TTFB, threshold: 800ms}}
  - name: journey
    service: web
    objective: 95
    window: 28d
    sli: {type: composite, components: [{slo: errors, weight: 2}, {slo: api}, {slo: lcp}, {slo: shop-errors}]}
  - {name: shop-errors, service: shop, objective: 99, window: 28d, sli: {type: js_errors}}
`

// flaky commits to a real store, or fails while down (a full disk).
type flaky struct {
	st   *store.Store
	down atomic.Bool
}

func (f *flaky) Commit(ctx context.Context, b *store.Batch) error {
	if f.down.Load() {
		return errors.New("disk full")
	}
	return f.st.Commit(ctx, b)
}

// clock is a settable now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
func newClock() *clock          { return &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} }

// end is a minute on: SLOs evaluated then count the current minute.
func (c *clock) end() time.Time { return c.t.Add(time.Minute) }

// open is the collector of cfg over a store whose commits fail while
// it is down, on a clock, with a report engine over the store.
func open(t testing.TB, cfg *config.Config, dir string) (*Collector, *flaky, *clock, *report.Engine) {
	st := headroomtest.Store(t, dir)
	f := &flaky{st: st}
	c := New(cfg, f, nil)
	clk := newClock()
	c.now = clk.now
	return c, f, clk, headroomtest.Engine(t, cfg, st)
}

// body is a beacon of web's page view pv on page with events.
func body(pv, page string, events ...string) []byte {
	return fmt.Appendf(nil, `{"v":1,"app":"web","page":%q,"nav":"navigate","dev":"desktop","pv":%q,"ev":[%s]}`,
		page, pv, strings.Join(events, ","))
}

// SLOCounts returns every SLO's total and good events as of at (exported
// for the tests of package rum_test).
func SLOCounts(t testing.TB, eng *report.Engine, at time.Time) map[string][2]float64 {
	t.Helper()
	slos, err := eng.SLOs(context.Background(), at, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for _, o := range slos {
		out[o.Name] = [2]float64{o.Total, o.Good}
	}
	return out
}

// TestFullStoreAnswers503 fails every commit (a full disk): the collector
// keeps what it answered 204 for, up to its bound; past it, beacons are
// refused with 503 (counted, leaving nothing behind); once the store takes
// commits again, every beacon answered 204 is stored, once.
func TestFullStoreAnswers503(t *testing.T) {
	cfg := headroomtest.Config(t, testConfig)
	c, f, clk, eng := open(t, cfg, t.TempDir())
	c.maxHeld = 50
	f.down.Store(true)
	send := func(i int) error {
		// Every LCP in its own bucket (whole milliseconds up to 100 ms):
		// one more count held a beacon.
		pv := fmt.Sprintf("p%d", i)
		return c.Accept(body(pv, "/", fmt.Sprintf(`{"t":"pageview","id":%q}`, pv), fmt.Sprintf(`{"t":"vital","id":"%s-lcp","n":"LCP","v":%d}`, pv, 1+i)),
			testOrigin, fmt.Sprintf("10.0.0.%d", i))
	}
	accepted, refused := 0, 0
	for i := range 80 {
		err := send(i)
		var rej *Rejection
		switch {
		case err == nil:
			if refused > 0 {
				t.Fatalf("beacon %d answered 204 after a 503, with the store still down", i)
			}
			accepted++
		case errors.As(err, &rej) && rej.Status == 503 && rej.Reason == "unavailable":
			refused++
		default:
			t.Fatalf("beacon %d: %v", i, err)
		}
		if i%10 == 9 {
			if err := c.Flush(context.Background()); err == nil {
				t.Fatal("a flush to a full disk succeeded")
			}
		}
	}
	s := c.Stats()
	if accepted != 49 || refused != 31 || s.Rejected["unavailable"] != int64(refused) || s.Held != 50 {
		t.Errorf("%d × 204, %d × 503, stats %+v; want 49 beacons held (50 counts), then 503s, counted", accepted, refused, s)
	}
	f.down.Store(false)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Held != 0 {
		t.Errorf("%d counts held after a commit succeeded", s.Held)
	}
	// A refused beacon left nothing: sent again, it counts.
	if err := send(79); err != nil {
		t.Errorf("a beacon refused with 503, sent again once the store recovered: %v", err)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := SLOCounts(t, eng, clk.end())
	if got["errors"] != [2]float64{50, 50} || got["lcp"] != [2]float64{50, 50} {
		t.Errorf("stored page views and LCPs %v, %v; want the 49 beacons answered 204 and the one sent again", got["errors"], got["lcp"])
	}
}
