package rum

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/headroomtest"
)

// ops reads a fuzz input: each byte read once, zeros past its end.
type ops struct {
	b []byte
	i int
}

func (o *ops) more() bool { return o.i < len(o.b) }

func (o *ops) next() int {
	if o.i >= len(o.b) {
		return 0
	}
	o.i++
	return int(o.b[o.i-1])
}

// take returns the next n bytes, or what is left.
func (o *ops) take(n int) []byte {
	n = min(n, len(o.b)-o.i)
	o.i += n
	return o.b[o.i-n : o.i]
}

// Fuzz operations, by the first byte of each.
const (
	opBeacon  = iota // a well-formed beacon built from the next bytes
	opRaw            // the next 2-byte length's bytes as a beacon
	opAdvance        // the clock moves by the next byte's seconds × 15
	opFlush          // a flush (failing while the store is down)
	opStore          // the store goes down, or comes back
	opCount
)

// FuzzBeacons sends beacon sequences through a collector into a real store,
// the store failing for a while where the input says: well-formed beacons
// of a few page views, events and ids (so they repeat), any bytes as
// beacons, time passing, flushes. Once the store takes the last flush:
//   - everything the collector counted is stored, once, and nothing more;
//   - a minute and page view dimension has no more errors than page views,
//     an app no more of any vital than page views, nor more API calls than
//     1,000 a page view;
//   - every SLO of every browser SLI type (js_errors, web_vital for each
//     vital, browser_api, composite) has 0 ≤ good ≤ total, and js_errors
//     counts exactly the page views without an error: the SLI arithmetic
//     never had to clamp what the collector stored.
func FuzzBeacons(f *testing.F) {
	f.Add([]byte{opBeacon, 0, 0, 0, 0, 2, 0, 0, 1, 0})
	f.Add([]byte{opBeacon, 1, 1, 2, 1, 4, 1, 3, 2, 0, 7, 40, 3, 1, 1, 1, opAdvance, 200, opBeacon, 1, 1, 1, 1, 2, 1, 2, 1, 3})
	f.Add([]byte{opStore, opBeacon, 0, 0, 0, 0, 3, 0, 0, 3, 1, 0, 1, 2, 0, 2, 9, opFlush, opBeacon, 2, 0, 0, 0, 1, 0, 4, opStore, opFlush})
	cfg := headroomtest.Config(f, testConfig)
	f.Fuzz(func(t *testing.T, in []byte) {
		c, fl, clk, eng := open(t, cfg, fuzzDir(t))
		c.maxHeld = 64 // 503s come quickly while the store is down
		ctx := context.Background()
		start := clk.t
		o := &ops{b: in}
		for n := 0; o.more(); n++ {
			var body []byte
			switch o.next() % opCount {
			case opBeacon:
				body = fuzzBeacon(o)
			case opRaw:
				body = o.take(o.next()<<8 | o.next())
			case opAdvance:
				if clk.t.Sub(start) < 7*24*time.Hour { // well within the SLOs' 28 days
					clk.advance(time.Duration(o.next()) * 15 * time.Second)
				}
			case opFlush:
				c.Flush(ctx) // fails while the store is down
			case opStore:
				fl.down.Store(!fl.down.Load())
			}
			if body != nil {
				c.Accept(body, testOrigin, fmt.Sprint(n)) // refused or not: checked below
			}
		}
		fl.down.Store(false)
		if err := c.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		st := c.Stats()
		if st.Held != 0 {
			t.Errorf("%d counts held after a flush succeeded", st.Held)
		}
		clk.advance(waitFor)
		if w := c.Stats().Waiting; w != 0 {
			t.Errorf("%d events still waiting for their page view %v later", w, waitFor)
		}

		// What the collector counted is what the store has.
		cellsStored := stored(t, fl.st, "web", "shop")
		var sum uint64
		type viewDim struct {
			app                 string
			minute              int64
			host, route, method string
		}
		views, errs := map[viewDim]uint64{}, map[viewDim]uint64{}
		byCode := map[string]map[int]uint64{}
		for k, n := range cellsStored {
			sum += n
			vd := viewDim{k.app, k.minute, k.d.Host, k.d.Route, k.d.Method}
			switch k.d.Status {
			case beacon.CodePageView:
				views[vd] += n
			case beacon.CodeErrorView:
				errs[vd] += n
			}
			if byCode[k.app] == nil {
				byCode[k.app] = map[int]uint64{}
			}
			byCode[k.app][k.d.Status] += n
		}
		if sum != uint64(st.Events) {
			t.Fatalf("%d events stored, %d counted (stats %+v)", sum, st.Events, st)
		}
		for vd, n := range errs {
			if n > views[vd] {
				t.Errorf("%+v: %d errors, %d page views", vd, n, views[vd])
			}
		}
		for app, codes := range byCode {
			pv := codes[beacon.CodePageView]
			for _, v := range beacon.Vitals() {
				if codes[v.Code] > pv {
					t.Errorf("%s: %d %s, %d page views", app, codes[v.Code], v.Name, pv)
				}
			}
			if api := codes[beacon.CodeAPIOK] + codes[beacon.CodeAPIFailed]; api > maxAPIPerView*pv {
				t.Errorf("%s: %d API calls, %d page views", app, api, pv)
			}
		}

		// The SLOs.
		got := SLOCounts(t, eng, clk.end())
		for name, g := range got {
			if total, good := g[0], g[1]; good < 0 || good > total*(1+1e-12) {
				t.Errorf("%s: %v good of %v", name, good, total)
			}
		}
		for app, slo := range map[string]string{"web": "errors", "shop": "shop-errors"} {
			pv, errored := float64(byCode[app][beacon.CodePageView]), float64(byCode[app][beacon.CodeErrorView])
			if g := got[slo]; g != [2]float64{pv, pv - errored} {
				t.Errorf("%s: %v good of %v, want the %v page views less the %v errored", slo, g[1], g[0], pv, errored)
			}
		}
	})
}

// fuzzDir is a new directory for a store, on tmpfs where there is one:
// there commits skip the disk's fsync, and the fuzzer runs several times
// as many inputs. Not t.TempDir(): the seeds' names have a #, which the
// store's SQLite URI takes for a fragment, cutting its path short.
func fuzzDir(t *testing.T) string {
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "headroom-rum-fuzz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fuzzBeacon is a well-formed beacon from the next bytes: of one of two
// apps, one of 6 page views on one of 3 pages, up to 7 events of ids from
// a few (so that they repeat within and across beacons).
func fuzzBeacon(o *ops) []byte {
	b := Beacon{
		V:    1,
		App:  []string{"web", "shop"}[o.next()%2],
		PV:   fmt.Sprintf("p%d", o.next()%6),
		Page: []string{"/", "/deals/1", "/help"}[o.next()%3],
		Dev:  devices[o.next()%len(devices)],
		Nav:  navs[o.next()%len(navs)],
	}
	for range 1 + o.next()%7 {
		e := Event{ID: fmt.Sprintf("%s-%d", b.PV, o.next()%12)}
		switch o.next() % 4 {
		case 0:
			e.T = "pageview"
		case 1:
			e.T = "error"
		case 2:
			v := beacon.Vitals()[o.next()%5]
			x := float64(o.next()) * 20 / v.Scale // up to 5.1 s, or a CLS of 0.255
			e.T, e.N, e.V = "vital", v.Name, &x
		case 3:
			ok := o.next()%2 == 0
			e.T, e.Route, e.OK, e.Status = "api", []string{"/api/a", "/api/b/1"}[o.next()%2], &ok, []int{200, 503, 0}[o.next()%3]
		}
		b.Ev = append(b.Ev, e)
	}
	body, _ := json.Marshal(b)
	return body
}
