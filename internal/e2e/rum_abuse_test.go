package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/itest"
)

// The frontend app of TestRUMAbuse and what it allows.
const (
	abuseApp    = "shop"
	abuseOrigin = "https://app.example.com"
	abuseLimit  = 20 // beacons a second per client address; bursts of twice that
)

// TestRUMAbuse drives POST /api/v1/rum of a real `headroom serve` the way a
// hostile or broken client would, over real connections from several
// loopback addresses (Linux routes all of 127/8 to lo): oversized, malformed,
// cross-origin and unknown-app beacons are refused with the API's error
// shape; a flooding client gets 429 with Retry-After while a well-behaved one
// on another address gets 204 for every beacon; a beacon with one invalid
// event is refused whole, leaving neither counts nor remembered ids; a
// forged beacon (500 errors of no page view, or an error of a page view
// never seen) moves no SLO; every answer is counted in /metrics; and the
// process's RSS (from /proc) grows by
// less than 50 MiB for 20,000 accepted beacons with new ids, by less than
// 20 MiB for 20,000 more, and not at all once the ids it remembers for
// deduplication are at their bound.
//
// Expected counts come from what the test sent and the answers it got.
func TestRUMAbuse(t *testing.T) {
	itest.Require(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, fmt.Sprintf(`
storage: {dir: %q}
services:
  - name: %s
    rum:
      origins: [%s]
      rate_limit: %d
slos:
  - name: shop-js-errors
    service: %s
    objective: 99
    window: 28d
    sli: {type: js_errors}
`, filepath.Join(dir, "data"), abuseApp, abuseOrigin, abuseLimit, abuseApp))
	logs := &itest.SyncBuffer{}
	p := startServe(t, cfg, logs)
	p.health(t, 10*time.Second)
	base := "http://" + p.addr
	rumURL := base + "/api/v1/rum"
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve's output:\n%s", logs.String())
		}
	})

	// What the server must end up with: beacons answered 204 (each has one
	// page view, but for the forged ones), page views with an error, the
	// events of those whose ids were new, events repeated, and refusals by
	// reason.
	var accepted, pageViews, errored, events, duplicates int
	rejected := map[string]int{}

	// Refusals, from their own address.
	probe := rumClient(t, "127.0.0.3", 4)
	huge := newBeacon(abuseApp, "huge-1", 5, false).body
	huge = append(huge, bytes.Repeat([]byte(" "), 70<<10-len(huge))...) // valid JSON, 70 KiB
	for _, c := range []struct {
		name, origin string
		body         []byte
		status       int
		code         string
	}{
		{"70 KiB", abuseOrigin, huge, 413, "too_large"},
		{"malformed JSON", abuseOrigin, []byte(`{"v":1,"app":"shop","page":"/","ev":[{"t":"pagev`), 400, "malformed"},
		{"wrong origin", "https://evil.example.net", newBeacon(abuseApp, "evil-1", 5, false).body, 403, "origin"},
		{"no origin", "", newBeacon(abuseApp, "noorigin-1", 5, false).body, 403, "origin"},
		{"unknown app", abuseOrigin, newBeacon("no-such-app", "unknown-1", 5, false).body, 404, "unknown_app"},
	} {
		r := postBeacon(t, probe, rumURL, c.origin, c.body)
		if r.status != c.status || r.apiErr.Status != c.status || r.apiErr.Code != c.code || r.apiErr.Message == "" {
			t.Errorf("%s: %d %s, want %d with {\"error\":{\"status\":%d,\"code\":%q,\"message\":...}}", c.name, r.status, r.body, c.status, c.status, c.code)
		}
		rejected[c.code]++
	}

	// A beacon is refused whole: one invalid event and its valid page view
	// count nothing, and the page view's id is not remembered either.
	for _, c := range []struct{ name, bad string }{
		{"unknown vital", `{"t":"vital","id":"half-1:x","n":"FID","v":12}`},
		{"api without ok", `{"t":"api","id":"half-1:api","route":"/api/cart","status":200}`},
	} {
		b := newBeacon(abuseApp, "half-1", 0, false, c.bad)
		r := postBeacon(t, probe, rumURL, abuseOrigin, b.body)
		if r.status != 400 || r.apiErr.Code != "malformed" {
			t.Errorf("beacon with a valid page view and an invalid event (%s): %d %s, want 400 malformed", c.name, r.status, r.body)
		}
		rejected["malformed"]++
	}
	// The forged beacon: 500 errors and no page view. Refused
	// whole (a page view has one error at most).
	forged := newBeacon(abuseApp, "forged-1", 0, false)
	forged.body = []byte(fmt.Sprintf(`{"v":1,"app":%q,"page":"/","nav":"navigate","dev":"desktop","pv":"forged-1","ev":[%s]}`,
		abuseApp, strings.TrimSuffix(strings.Repeat(`{"t":"error","id":"x"},`, 500), ",")))
	if r := postBeacon(t, probe, rumURL, abuseOrigin, forged.body); r.status != 400 || r.apiErr.Code != "malformed" {
		t.Errorf("500 errors of no page view: %d %s, want 400 malformed", r.status, r.body)
	}
	rejected["malformed"]++
	// An error of a page view never seen: answered 204, ignored.
	expect204(t, probe, rumURL, beacon{pv: "ghost-1", body: []byte(fmt.Sprintf(
		`{"v":1,"app":%q,"page":"/","nav":"navigate","dev":"desktop","pv":"ghost-1","ev":[{"t":"error","id":"ghost-1:err"}]}`, abuseApp))})
	accepted++
	// A valid beacon after those: once it is stored, so would be anything
	// of the refused ones (the collector commits in order).
	first := newBeacon(abuseApp, "ok-1", 5, true)
	expect204(t, probe, rumURL, first)
	accepted, pageViews, errored, events = accepted+1, pageViews+1, errored+1, events+first.events
	if got := waitPageViews(t, base, pageViews); got != [2]float64{float64(pageViews), float64(pageViews - errored)} {
		t.Errorf("js_errors %v good of %v after one accepted beacon with an error and refused or forged ones, want %d of %d", got[1], got[0], pageViews-errored, pageViews)
	}
	// The refused beacon's page view, sent alone, is new (/metrics below
	// counts its event, and no duplicate).
	half := newBeacon(abuseApp, "half-1", 0, false)
	expect204(t, probe, rumURL, half)
	accepted, pageViews, events = accepted+1, pageViews+1, events+half.events
	// A repeated beacon is answered 204 and counted once.
	expect204(t, probe, rumURL, first)
	accepted, duplicates = accepted+1, duplicates+first.events

	// A flooding client on one connection, and a well-behaved one on another
	// address sending at half the limit meanwhile.
	flooder := rumClient(t, "127.0.0.1", 1)
	polite := rumClient(t, "127.0.0.2", 1)
	var (
		wg                              sync.WaitGroup
		politeOK, politeSent, politeEv  int
		politeBad                       []string
		flood204, flood429, floodSent   int
		floodEv                         int
		floodOther, noRetryAfter, wrong []string
	)
	politeDone := make(chan struct{})
	floodStart := time.Now()
	var floodTook time.Duration
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(politeDone)
		tick := time.NewTicker(time.Second / (abuseLimit / 2))
		defer tick.Stop()
		for i := range 30 {
			<-tick.C
			b := newBeacon(abuseApp, fmt.Sprintf("polite-%d", i), 5, i%7 == 0)
			r := postBeacon(t, polite, rumURL, abuseOrigin, b.body)
			politeSent++
			if r.status == http.StatusNoContent {
				politeOK++
				politeEv += b.events
				if i%7 == 0 {
					errored++
				}
			} else {
				politeBad = append(politeBad, fmt.Sprintf("beacon %d: %d %s", i, r.status, r.body))
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			if i >= 500 {
				select {
				case <-politeDone:
					floodTook = time.Since(floodStart)
					return
				default:
				}
			}
			b := newBeacon(abuseApp, fmt.Sprintf("flood-%d", i), 5, false)
			r := postBeacon(t, flooder, rumURL, abuseOrigin, b.body)
			floodSent++
			switch r.status {
			case http.StatusNoContent:
				flood204++
				floodEv += b.events
			case http.StatusTooManyRequests:
				flood429++
				if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
					noRetryAfter = append(noRetryAfter, fmt.Sprintf("%q", r.header.Get("Retry-After")))
				}
				if r.apiErr.Status != 429 || r.apiErr.Code != "rate_limited" {
					wrong = append(wrong, string(r.body))
				}
			default:
				floodOther = append(floodOther, fmt.Sprintf("%d %s", r.status, r.body))
			}
		}
	}()
	wg.Wait()
	t.Logf("flood from 127.0.0.1: %d beacons in %v (%.0f/s): %d × 204, %d × 429; meanwhile 127.0.0.2: %d of %d × 204",
		floodSent, floodTook.Round(time.Millisecond), float64(floodSent)/floodTook.Seconds(), flood204, flood429, politeOK, politeSent)
	if politeOK != politeSent || len(politeBad) > 0 {
		t.Errorf("the well-behaved client got %d × 204 of %d beacons: %q", politeOK, politeSent, politeBad)
	}
	if len(floodOther) > 0 {
		t.Errorf("flood: %d answers neither 204 nor 429, like %q", len(floodOther), floodOther[0])
	}
	if len(noRetryAfter) > 0 || len(wrong) > 0 {
		t.Errorf("flood: %d × 429 without a Retry-After of at least 1 s (%.3q), %d without the rate_limited error shape (%.3q)", len(noRetryAfter), noRetryAfter, len(wrong), wrong)
	}
	// The bucket holds 2 × limit and refills at limit a second.
	if most := 2*abuseLimit + int(float64(abuseLimit)*floodTook.Seconds()) + 2; flood204 > most || flood204 < 2*abuseLimit {
		t.Errorf("flood: %d beacons accepted in %v, want %d (the burst) to %d", flood204, floodTook, 2*abuseLimit, most)
	}
	if flood429 < floodSent*9/10 {
		t.Errorf("flood: %d × 429 of %d beacons, want at least 90%%", flood429, floodSent)
	}
	accepted, pageViews = accepted+flood204+politeOK, pageViews+flood204+politeOK
	events += floodEv + politeEv
	rejected["rate_limited"] += flood429

	// Every answer is counted, by result.
	m := scrapeMetrics(t, base)
	for _, c := range []struct {
		series string
		want   int
	}{
		{`headroom_rum_beacons_total{result="accepted"}`, accepted},
		{`headroom_rum_beacons_total{result="too_large"}`, rejected["too_large"]},
		{`headroom_rum_beacons_total{result="malformed"}`, rejected["malformed"]},
		{`headroom_rum_beacons_total{result="origin"}`, rejected["origin"]},
		{`headroom_rum_beacons_total{result="unknown_app"}`, rejected["unknown_app"]},
		{`headroom_rum_beacons_total{result="rate_limited"}`, rejected["rate_limited"]},
		{`headroom_rum_events_total`, events},
		{`headroom_rum_duplicate_events_total`, duplicates},
	} {
		got, ok := m[c.series]
		if !ok {
			t.Errorf("GET /metrics: no %s", c.series)
		} else if got != float64(c.want) {
			t.Errorf("GET /metrics: %s %v, want %d", c.series, got, c.want)
		}
	}

	// Memory stays flat: 20,000 beacons with new ids (6 each) from 250
	// addresses, each within the rate limit (20,000 beacons at 20 a second
	// take 250 client-seconds), then 20,000 more (240,000 ids in all: fewer
	// than the 2^18 a generation the collector remembers). Then 10,000
	// beacons of 60 events (a page view, its 5 vitals, 54 API calls) take
	// the ids past the two generations kept, and 10,000 more, the set
	// rotating, must not grow RSS.
	const clients = 250
	pool := make([]*http.Client, clients)
	for i := range pool {
		pool[i] = rumClient(t, fmt.Sprintf("127.0.1.%d", 1+i), 1)
	}
	pid := p.cmd.Process.Pid
	rss := rssKiB(t, pid)
	t.Logf("serve's RSS before: %.1f MiB", mibs(rss))
	for i, r := range []struct {
		what      string
		perClient int   // at abuseLimit a second
		apis      int   // API calls a beacon, besides its page view and 5 vitals
		maxGrowth int64 // KiB; 0: only the total is bounded
	}{
		{"20,000 beacons", 80, 0, 50 << 10},
		{"20,000 more", 80, 0, 20 << 10},
		{"10,000 beacons of 60 events, past the ids remembered", 40, 54, 0},
		{"10,000 more of 60 events", 40, 54, 20 << 10},
	} {
		start := time.Now()
		n, ev, bad := sendRound(t, pool, rumURL, fmt.Sprintf("mem%d", i), r.perClient, r.apis)
		if len(bad) > 0 {
			t.Fatalf("%s: %d beacons within the rate limit not answered 204, like %s", r.what, len(bad), bad[0])
		}
		accepted, pageViews, events = accepted+n, pageViews+n, events+ev
		took := time.Since(start)
		time.Sleep(1500 * time.Millisecond) // the collector's flush (every second)
		now := rssKiB(t, pid)
		t.Logf("%s: %d beacons, %d ids, from %d addresses in %v; serve's RSS %.1f MiB (%+.1f MiB), VmHWM %.1f MiB",
			r.what, n, ev, clients, took.Round(time.Millisecond), mibs(now), mibs(now-rss), mibs(procStatusKiB(t, pid, "VmHWM")))
		if r.maxGrowth > 0 && now-rss >= r.maxGrowth {
			t.Errorf("%s grew serve's RSS by %.1f MiB, want < %d", r.what, mibs(now-rss), r.maxGrowth>>10)
		}
		rss = now
	}

	// Nothing refused or forged was stored, everything accepted was, once.
	if got := waitPageViews(t, base, pageViews); got != [2]float64{float64(pageViews), float64(pageViews - errored)} {
		t.Errorf("js_errors %v good of %v, want the %d distinct page views answered 204, %d of them without an error", got[1], got[0], pageViews, pageViews-errored)
	}
	m = scrapeMetrics(t, base)
	if got := m[`headroom_rum_beacons_total{result="accepted"}`]; got != float64(accepted) {
		t.Errorf("GET /metrics: %v beacons accepted, want %d", got, accepted)
	}
	if got := m[`headroom_rum_events_total`]; got != float64(events) {
		t.Errorf("GET /metrics: %v events counted, want %d", got, events)
	}
	if got := m[`headroom_rum_duplicate_events_total`]; got != float64(duplicates) {
		t.Errorf("GET /metrics: %v duplicate events, want %d", got, duplicates)
	}
	if p.exited() {
		t.Fatalf("serve exited: %v", p.err)
	}
}

// beacon is one beacon as rum.js sends it (docs/frontend.md).
type beacon struct {
	pv     string
	body   []byte
	events int
}

// vitalValues are the vitals newBeacon cycles through, and their values.
var vitalValues = [][2]string{{"LCP", "2345.6"}, {"INP", "180"}, {"CLS", "0.05"}, {"FCP", "1200"}, {"TTFB", "310.5"}}

// newBeacon is page view pv with n vitals, an uncaught error when
// withError, then the raw events extra; every id is made of pv.
func newBeacon(app, pv string, vitals int, withError bool, extra ...string) beacon {
	var b strings.Builder
	fmt.Fprintf(&b, `{"v":1,"app":%q,"page":"/deals/%d","nav":"navigate","dev":"mobile","pv":%q,"ev":[{"t":"pageview","id":%q}`,
		app, 100+len(pv)%7, pv, pv)
	for i := range vitals {
		v := vitalValues[i%len(vitalValues)]
		fmt.Fprintf(&b, `,{"t":"vital","id":"v5-1732712345678-%s-%d","n":%q,"v":%s}`, pv, i, v[0], v[1])
	}
	n := 1 + vitals
	if withError {
		fmt.Fprintf(&b, `,{"t":"error","id":"%s:err"}`, pv)
		n++
	}
	for _, e := range extra {
		b.WriteString("," + e)
	}
	b.WriteString("]}")
	return beacon{pv: pv, body: []byte(b.String()), events: n + len(extra)}
}

// rumClient is an HTTP client whose connections (at most conns) come from
// the loopback address ip.
func rumClient(t *testing.T, ip string, conns int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// beaconAnswer is the answer to one beacon.
type beaconAnswer struct {
	status int
	header http.Header
	body   []byte
	apiErr struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
}

// postBeacon POSTs body as rum.js does (text/plain, with an Origin unless
// origin is empty). Transport errors fail the test (from any goroutine).
func postBeacon(t *testing.T, c *http.Client, url, origin string, body []byte) beaconAnswer {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Errorf("POST %s: %v", url, err)
		return beaconAnswer{}
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", url, err)
		return beaconAnswer{}
	}
	defer resp.Body.Close()
	a := beaconAnswer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		var e struct {
			Error *json.RawMessage `json:"error"`
		}
		if json.Unmarshal(a.body, &e) == nil && e.Error != nil {
			json.Unmarshal(*e.Error, &a.apiErr)
		}
	}
	return a
}

// expect204 sends b and fails the test unless it is answered 204.
func expect204(t *testing.T, c *http.Client, url string, b beacon) {
	t.Helper()
	if r := postBeacon(t, c, url, abuseOrigin, b.body); r.status != http.StatusNoContent {
		t.Fatalf("beacon %s: %d %s, want 204", b.pv, r.status, r.body)
	}
}

// sendRound sends perClient beacons with new ids, each a page view with
// its 5 vitals and apis API calls, from every client, each client at
// abuseLimit a second, and returns how many were answered 204, their
// events, and what the others got.
func sendRound(t *testing.T, pool []*http.Client, url, tag string, perClient, apis int) (n, events int, bad []string) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for ci, c := range pool {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second / abuseLimit)
			defer tick.Stop()
			for i := range perClient {
				pv := fmt.Sprintf("%s-%d-%d", tag, ci, i)
				calls := make([]string, apis)
				for k := range calls {
					calls[k] = fmt.Sprintf(`{"t":"api","id":"%s:api:%d","route":"/api/cart","ok":true,"status":200}`, pv, k)
				}
				b := newBeacon(abuseApp, pv, 5, false, calls...)
				r := postBeacon(t, c, url, abuseOrigin, b.body)
				mu.Lock()
				if r.status == http.StatusNoContent {
					n++
					events += b.events
				} else {
					bad = append(bad, fmt.Sprintf("%d %s", r.status, r.body))
				}
				mu.Unlock()
				<-tick.C
			}
		}()
	}
	wg.Wait()
	return n, events, bad
}

// waitPageViews polls GET /api/v1/slos until the js_errors SLO's total
// reaches want or 10 s pass, waits a flush more, and returns its total and
// good events.
func waitPageViews(t *testing.T, base string, want int) [2]float64 {
	t.Helper()
	counts := func() [2]float64 {
		var r struct {
			SLOs []struct {
				Name  string  `json:"name"`
				Total float64 `json:"total"`
				Good  float64 `json:"good"`
			} `json:"slos"`
		}
		getJSON(t, base+"/api/v1/slos", &r)
		for _, s := range r.SLOs {
			if s.Name == "shop-js-errors" {
				return [2]float64{s.Total, s.Good}
			}
		}
		t.Fatalf("GET /api/v1/slos: no shop-js-errors: %+v", r)
		return [2]float64{}
	}
	deadline := time.Now().Add(10 * time.Second)
	for counts()[0] < float64(want) && time.Now().Before(deadline) {
		time.Sleep(pollEvery)
	}
	time.Sleep(1200 * time.Millisecond) // one more flush: anything extra shows
	return counts()
}

// scrapeMetrics returns the series of GET /metrics without labels' order
// normalised: name{labels} → value.
func scrapeMetrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	return m
}

// rssKiB is the resident set size of process pid.
func rssKiB(t *testing.T, pid int) int64 { return procStatusKiB(t, pid, "VmRSS") }

// procStatusKiB reads a "Name:  N kB" field of /proc/PID/status.
func procStatusKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("RSS of serve: %v (the memory check needs Linux's /proc)", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/status: %q", pid, line)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

func mibs(kib int64) float64 { return float64(kib) / 1024 }
