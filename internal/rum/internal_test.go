package rum

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
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

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} }
func (c *clock) minute() int64           { return c.t.Unix() - c.t.Unix()%60 }

// end is a minute on: SLOs evaluated then count the current minute.
func (c *clock) end() time.Time { return c.t.Add(time.Minute) }

// Later moves c's clock d after the real time (for the tests of package
// rum_test); it is not safe while c is in use.
func Later(c *Collector, d time.Duration) { c.now = func() time.Time { return time.Now().Add(d) } }

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

// cellKey is a stored count's minute and dimension.
type cellKey struct {
	app    string
	minute int64
	d      store.DimValue
}

// stored returns the minute cells' counts of the apps, by minute and
// dimension.
func stored(t testing.TB, st *store.Store, apps ...string) map[cellKey]uint64 {
	t.Helper()
	ctx := context.Background()
	out := map[cellKey]uint64{}
	for _, app := range apps {
		id, err := st.ServiceID(ctx, app, false)
		if err != nil {
			t.Fatal(err)
		}
		if id == 0 {
			continue
		}
		dims, err := st.Dims(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		err = st.ReadCells(ctx, id, store.Minute, 0, math.MaxInt64, func(sp *store.Span) error {
			for _, e := range sp.Cell.Entries {
				out[cellKey{app, sp.Start, dims[e.Dim]}] += e.Count
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
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

// TestPageViewsRemembered: a page view's error goes where the page view
// was counted (its minute, page, device and navigation), whatever the later
// beacon says; a page view is remembered 30 to 60 minutes after its last
// beacon, and its events after that are ignored.
func TestPageViewsRemembered(t *testing.T) {
	cfg := headroomtest.Config(t, testConfig)
	dir := t.TempDir()
	c, _, clk, eng := open(t, cfg, dir)
	send := func(b []byte) {
		t.Helper()
		if err := c.Accept(b, testOrigin, clk.t.String()); err != nil {
			t.Fatal(err)
		}
	}
	start := clk.minute()
	send(body("a", "/a", `{"t":"pageview","id":"a"}`))
	send(body("b", "/b", `{"t":"pageview","id":"b"}`))
	send(body("c", "/c", `{"t":"pageview","id":"c"}`))
	// 5 minutes later, a's error from another page and navigation.
	clk.advance(5 * time.Minute)
	send([]byte(`{"v":1,"app":"web","page":"/elsewhere","nav":"reload","dev":"mobile","pv":"a","ev":[{"t":"error","id":"a:err"}]}`))
	// b sends a beacon every 25 minutes, c none.
	for i := range 4 {
		clk.advance(25 * time.Minute)
		send(body("b", "/b", fmt.Sprintf(`{"t":"api","id":"b:api:%d","route":"/api/x","ok":true,"status":200}`, i)))
	}
	// 105 minutes in: b is remembered, c is not.
	send(body("b", "/b", `{"t":"error","id":"b:err"}`))
	send(body("c", "/c", `{"t":"error","id":"c:err"}`))
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.advance(waitFor)
	if s := c.Stats(); s.Ignored["no_page_view"] != 1 || s.Events != 3+1+4+1 {
		t.Errorf("stats %+v: want 9 events counted, c's error ignored", s)
	}
	errorView := func(page string) store.DimValue {
		return store.DimValue{Host: "desktop", Route: page, Method: "navigate", Status: beacon.CodeErrorView}
	}
	got := stored(t, c.st.(*flaky).st, "web")
	for _, k := range []cellKey{{"web", start, errorView("/a")}, {"web", start, errorView("/b")}} {
		if got[k] != 1 {
			t.Errorf("no error of %s at the minute of its page view (%v): %v", k.d.Route, k.minute, got)
		}
	}
	if g := SLOCounts(t, eng, clk.end())["errors"]; g != [2]float64{3, 1} {
		t.Errorf("js_errors %v good of %v, want 1 of 3", g[1], g[0])
	}
}

// TestEventsWaitForTheirPageView: a browser sends a page's last beacons at
// once, and the one with its vitals, error and API calls may come before
// the one with its page view: they wait for it (30 s at most, within the
// page view's limits and the collector's bounds) and then count where the
// page view did. Events whose page view never comes never count.
func TestEventsWaitForTheirPageView(t *testing.T) {
	cfg := headroomtest.Config(t, testConfig)
	c, f, clk, eng := open(t, cfg, t.TempDir())
	sent := 0
	send := func(b []byte) {
		t.Helper()
		sent++
		if err := c.Accept(b, testOrigin, fmt.Sprintf("client-%d", sent)); err != nil {
			t.Fatal(err)
		}
	}
	start := clk.minute()
	send(body("late", "/late",
		`{"t":"vital","id":"late-lcp","n":"LCP","v":3000}`, `{"t":"vital","id":"late-cls","n":"CLS","v":0.05}`,
		`{"t":"error","id":"late:err"}`, `{"t":"api","id":"late:api:1","route":"/api/x","ok":true,"status":200}`))
	send(body("late", "/late", `{"t":"vital","id":"late-lcp2","n":"LCP","v":100}`)) // a second LCP: over the limit
	send(body("never", "/never", `{"t":"error","id":"never:err"}`))
	if s := c.Stats(); s.Waiting != 5 || s.Events != 0 || s.Ignored["over_limit"] != 1 {
		t.Fatalf("before the page views: %+v; want 5 events waiting, none counted, one over the limit", s)
	}
	clk.advance(20 * time.Second)
	send(body("late", "/late", `{"t":"pageview","id":"late"}`))
	clk.advance(15 * time.Second) // never's error has waited 35 s
	send(body("never", "/never", `{"t":"pageview","id":"never"}`))
	if s := c.Stats(); s.Waiting != 0 || s.Events != 2+4 || s.Ignored["no_page_view"] != 1 {
		t.Errorf("after the page views: %+v; want late's 4 events and both page views counted, never's error ignored", s)
	}

	// Bounds: 40 events of one page view wait, 32 of them; 8,192 page views
	// wait at most.
	var calls []string
	for i := range 40 {
		calls = append(calls, fmt.Sprintf(`{"t":"api","id":"many:api:%d","route":"/api/x","ok":false,"status":500}`, i))
	}
	send(body("many", "/many", calls...))
	for i := range maxWaiting {
		send(body(fmt.Sprintf("w%d", i), "/w", fmt.Sprintf(`{"t":"error","id":"w%d:err"}`, i)))
	}
	if s := c.Stats(); s.Waiting != 32+maxWaiting-1 || s.Ignored["no_page_view"] != 1+8+1 {
		t.Errorf("past the bounds: %+v; want %d waiting and 10 ignored as no_page_view", s, 32+maxWaiting-1)
	}
	clk.advance(time.Minute)
	if s := c.Stats(); s.Waiting != 0 || s.Ignored["no_page_view"] != 1+8+maxWaiting+32 {
		t.Errorf("a minute on: %+v; want none waiting", s)
	}

	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// late's error counts where its page view did.
	errorView := store.DimValue{Host: "desktop", Route: "/late", Method: "navigate", Status: beacon.CodeErrorView}
	if got := stored(t, f.st, "web"); got[cellKey{"web", start, errorView}] != 1 {
		t.Errorf("late's error is not at its page view's minute: %v", got)
	}
	got := SLOCounts(t, eng, clk.end())
	for name, want := range map[string][2]float64{"errors": {2, 1}, "lcp": {1, 0}, "cls": {1, 1}, "api": {1, 1}} {
		if got[name] != want {
			t.Errorf("%s: %v good of %v, want %v of %v", name, got[name][1], got[name][0], want[1], want[0])
		}
	}
}
