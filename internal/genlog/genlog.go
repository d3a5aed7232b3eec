// Package genlog writes realistic, deterministic nginx access logs for
// benchmarks and tests.
//
// The lines look like a B2B SaaS application behind nginx: about 60 routes
// with numeric, hex and UUID ids and fingerprinted static assets; GET, POST,
// PUT and DELETE; mostly 200 with realistic shares of 201, 204, 301, 304, 4xx,
// 499 and 5xx; log-normal request times per route; upstream times that are
// "-" for files nginx serves itself and sometimes lists ("0.004, 0.002 :
// 0.010"); browser, mobile, library and bot user agents; IPv4 and IPv6
// clients; three hosts; time advancing with a daily traffic cycle and a few
// out-of-order lines; one incident a day, when one API route fails 40% of its
// requests for 10 to 40 minutes; and, rarely, what nginx writes for garbage requests
// (TLS handshakes on the plain port, raw UTF-8 paths, quotes in headers),
// escaped as nginx escapes them. The same Options always give the same bytes.
package genlog

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The formats Generate writes, by name.
const (
	FormatCombined = "combined" // nginx's predefined combined format
	FormatCustom   = "custom"   // combined + $request_time $upstream_response_time
	FormatJSON     = "json"     // JSON object per line, escape=json, with $host
)

// The log_format strings (as written between the quotes in nginx.conf) that
// produce each format's lines.
const (
	CombinedLogFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`
	CustomLogFormat   = CombinedLogFormat + ` $request_time $upstream_response_time`
	JSONLogFormat     = `{"time":"$time_iso8601","remote_addr":"$remote_addr","host":"$host","request":"$request","status":"$status","bytes":"$body_bytes_sent","request_time":"$request_time","upstream_response_time":"$upstream_response_time","http_user_agent":"$http_user_agent","http_referer":"$http_referer"}`
)

// LogFormat returns the nginx log_format and its escape= parameter ("" for
// the default escaping) that produce the lines of the named format.
func LogFormat(format string) (logFormat, escape string, err error) {
	switch format {
	case FormatCombined:
		return CombinedLogFormat, "", nil
	case FormatCustom:
		return CustomLogFormat, "", nil
	case FormatJSON:
		return JSONLogFormat, "json", nil
	}
	return "", "", fmt.Errorf("unknown format %q (want %s, %s or %s)", format, FormatCombined, FormatCustom, FormatJSON)
}

// Defaults for zero Options fields.
const (
	DefaultRate   = 20.0 // lines per second of log time: 2M lines span about 28 hours
	DefaultFormat = FormatCustom
)

// DefaultStart is the time of the first line when Options.Start is zero.
func DefaultStart() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

// Options says what Generate writes.
type Options struct {
	Lines  int       // number of lines
	Format string    // FormatCombined, FormatCustom or FormatJSON; empty means DefaultFormat
	Start  time.Time // time of the first line; its zone is the zone logged by $time_local; zero means DefaultStart
	Rate   float64   // average lines per second of log time; zero means DefaultRate
	Seed   uint64    // the same seed gives the same lines
	// Steady leaves out the daily traffic cycle: Rate lines per second of
	// log time at every hour, so that a live log (Stream) grows at Rate
	// lines per second of wall time.
	Steady bool
}

func (o *Options) defaults() error {
	if o.Format == "" {
		o.Format = DefaultFormat
	}
	if _, _, err := LogFormat(o.Format); err != nil {
		return err
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart()
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	var errs []error
	if o.Lines < 0 {
		errs = append(errs, fmt.Errorf("lines %d: must not be negative", o.Lines))
	}
	if !(o.Rate > 0) || math.IsInf(o.Rate, 0) {
		errs = append(errs, fmt.Errorf("rate %v: must be a positive number", o.Rate))
	}
	return errors.Join(errs...)
}

// Stream generates lines on demand, in log-time order: a live log, written
// as its time comes. Options.Lines is ignored.
type Stream struct {
	g     *generator
	start time.Time
}

// NewStream returns a Stream of opts's lines, from opts.Start.
func NewStream(opts Options) (*Stream, error) {
	opts.Lines = 0
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("genlog: %w", err)
	}
	return &Stream{g: newGenerator(opts), start: opts.Start}, nil
}

// AppendUntil appends to b the next lines whose time is before t, and
// returns b and how many lines it appended. A line is due at Start plus
// its offset in log time; its timestamp, whole seconds from Start's second,
// is never after that.
func (s *Stream) AppendUntil(b []byte, t time.Time) ([]byte, int) {
	g := s.g
	until := float64(t.Sub(s.start)) / float64(time.Second)
	n := 0
	for g.offset < until {
		g.line()
		n++
	}
	b = append(b, g.buf...)
	g.buf = g.buf[:0]
	return b, n
}

// Generate writes opts.Lines access-log lines to w.
func Generate(w io.Writer, opts Options) error {
	if err := opts.defaults(); err != nil {
		return fmt.Errorf("genlog: %w", err)
	}
	g := newGenerator(opts)
	const flushAt = 256 << 10
	for range opts.Lines {
		g.line()
		if len(g.buf) >= flushAt {
			if _, err := w.Write(g.buf); err != nil {
				return fmt.Errorf("genlog: %w", err)
			}
			g.buf = g.buf[:0]
		}
	}
	if len(g.buf) > 0 {
		if _, err := w.Write(g.buf); err != nil {
			return fmt.Errorf("genlog: %w", err)
		}
	}
	return nil
}

// client is one remote address with the user agent it always sends.
type client struct {
	addr []byte
	ua   int
}

// statusTable is a status mix as cumulative thresholds for one draw.
type statusTable struct {
	status []int
	upTo   []int // cumulative shares out of 10000
}

func (t *statusTable) pick(r *rand.Rand) int {
	x := r.IntN(10000)
	for i, u := range t.upTo {
		if x < u {
			return t.status[i]
		}
	}
	return t.status[len(t.status)-1]
}

func newStatusTable(mix []statusShare) statusTable {
	var t statusTable
	sum := 0
	for _, s := range mix {
		sum += s.share
		t.status = append(t.status, s.status)
		t.upTo = append(t.upTo, sum)
	}
	return t
}

type generator struct {
	opts  Options
	json  bool
	r     *rand.Rand
	buf   []byte
	routs []route
	cum   []float64 // cumulative route weights
	// tables[i][j] is the status table of route i, method j
	tables   [][]statusTable
	clients  []client
	probes   []client
	uas      [][]byte // escaped for the output format: userAgents(), then probeAgent
	firstBot int      // index of the first of the botAgents bots in uas
	words    [][]byte
	referers [][]byte
	hashes   [][]byte

	start    int64   // Unix seconds of the first line
	offset   float64 // seconds of log time since start
	sec      int64   // the second tsLocal and tsISO render
	tsLocal  []byte
	tsISO    []byte
	rateNow  float64 // lines per second at sec, with the daily cycle
	day      int     // days since start, picks the asset fingerprint
	zone     *time.Location
	scratchT []byte // an out-of-order line's timestamp

	incidentRoute            int   // route failing in the day's incident
	incidentFrom, incidentTo int64 // the incident's seconds, [from, to)
	inIncident               bool  // sec is inside the incident

	ev      event
	reqBuf  []byte
	google  []byte // a search engine referer
	weirdUA []byte // a user agent with quotes and a backslash, escaped
}

func newGenerator(opts Options) *generator {
	g := &generator{
		opts:  opts,
		json:  opts.Format == FormatJSON,
		r:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		buf:   make([]byte, 0, 300<<10),
		routs: compile(routeSpecs()),
		start: opts.Start.Unix(),
		zone:  opts.Start.Location(),
		sec:   math.MinInt64,

		incidentRoute: -1,
	}
	total := 0.0
	for _, rt := range g.routs {
		total += rt.weight
		g.cum = append(g.cum, total)
		var ts []statusTable
		for _, m := range rt.methods {
			ts = append(ts, newStatusTable(statusMix(rt.kind, m.name)))
		}
		g.tables = append(g.tables, ts)
	}
	for _, ua := range userAgents() {
		g.uas = append(g.uas, g.escape(nil, []byte(ua)))
	}
	g.firstBot = len(g.uas) - botAgents
	g.weirdUA = g.escape(nil, []byte(`Mozilla/5.0 "scanner" \x`))
	g.google = []byte("https://www.google.com/")
	g.uas = append(g.uas, []byte(probeAgent))
	for _, w := range words() {
		g.words = append(g.words, []byte(w))
	}
	for _, ref := range referers() {
		g.referers = append(g.referers, []byte(ref))
	}
	// The fingerprints of the static assets; a deploy a day changes them.
	for range 7 {
		g.hashes = append(g.hashes, appendHex(nil, g.r.Uint64(), 8))
	}
	// A few thousand clients, one in eight on IPv6; browsers mostly.
	for i := range 4000 {
		var addr []byte
		if g.r.IntN(8) == 0 {
			addr = fmt.Appendf(nil, "2001:db8:%x:%x::%x", g.r.IntN(0x10000), g.r.IntN(0x10000), 1+g.r.IntN(0xfffe))
		} else {
			addr = fmt.Appendf(nil, "%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
		}
		ua := g.r.IntN(browserAgents)
		if i%10 == 0 {
			ua = browserAgents + g.r.IntN(g.firstBot+botAgents-browserAgents) // libraries and bots
		}
		g.clients = append(g.clients, client{addr: addr, ua: ua})
	}
	for _, a := range []string{"10.0.3.17", "10.0.4.21", "10.0.5.9"} {
		g.probes = append(g.probes, client{addr: []byte(a), ua: len(g.uas) - 1})
	}
	return g
}

// setSecond renders the timestamps of second sec (cached: lines share them).
func (g *generator) setSecond(sec int64) {
	g.sec = sec
	t := time.Unix(sec, 0).In(g.zone)
	g.tsLocal = t.AppendFormat(g.tsLocal[:0], "02/Jan/2006:15:04:05 -0700")
	g.tsISO = t.AppendFormat(g.tsISO[:0], "2006-01-02T15:04:05-07:00")
	// Traffic peaks at 14:00 local time at 1.6 times the average and is
	// lowest at 02:00 at 0.4 times.
	_, off := t.Zone()
	hour := float64((sec+int64(off))%86400) / 3600
	g.rateNow = g.opts.Rate * (1 + 0.6*math.Sin(2*math.Pi*(hour-8)/24))
	if g.opts.Steady {
		g.rateNow = g.opts.Rate
	}
	if day := int((sec - g.start) / 86400); day != g.day || g.incidentRoute < 0 {
		g.day = day
		g.planIncident()
	}
	g.inIncident = sec >= g.incidentFrom && sec < g.incidentTo
}

// planIncident picks the day's incident: for 10 to 40 minutes one API route
// fails 40% of its requests with 502 or 504. It draws from its own source
// so the main sequence does not depend on where days begin.
func (g *generator) planIncident() {
	r := rand.New(rand.NewPCG(g.opts.Seed, uint64(g.day)))
	var api []int
	for i, rt := range g.routs {
		if rt.kind == kindAPI && rt.weight >= 50 {
			api = append(api, i)
		}
	}
	g.incidentRoute = api[r.IntN(len(api))]
	g.incidentFrom = g.start + int64(g.day)*86400 + int64(r.IntN(86400-2400))
	g.incidentTo = g.incidentFrom + int64(600+r.IntN(1800))
}

// event is one request, drawn the same way whatever the output format, so
// that one seed gives the same requests in every format.
type event struct {
	back     int64  // seconds this line's time lags behind its neighbours
	addr     []byte // $remote_addr
	host     string // $host
	req      []byte // $request, unescaped
	status   int
	bytes    int
	rtMS     int64    // $request_time in milliseconds
	up       [3]int64 // $upstream_response_time: upN times in milliseconds,
	upSep    [2]string
	upN      int    // 0 when there was no upstream
	ua       []byte // $http_user_agent, escaped for the format; nil when not sent
	referer  []byte // $http_referer; nil when the header was not sent
	weirdReq bool   // req needs escaping
}

// line appends one log line to g.buf.
func (g *generator) line() {
	sec := g.start + int64(g.offset)
	if sec != g.sec {
		g.setSecond(sec)
	}
	g.offset += g.r.ExpFloat64() / g.rateNow
	g.draw(&g.ev)
	g.render(&g.ev)
}

// draw fills e with the next request.
func (g *generator) draw(e *event) {
	r := g.r
	e.back = 0
	if r.IntN(2000) == 0 {
		// nginx writes a line when the request ends, and workers interleave:
		// now and then a line is a second or three behind its neighbours.
		e.back = 1 + int64(r.IntN(3))
	}

	ri := g.pickRoute()
	rt := &g.routs[ri]
	mi := 0
	if len(rt.methods) > 1 {
		x := r.Float64() * 100
		for mi < len(rt.methods)-1 && x >= rt.methods[mi].weight {
			x -= rt.methods[mi].weight
			mi++
		}
	}
	methodName := rt.methods[mi].name
	e.status = g.tables[ri][mi].pick(r)
	switch {
	case e.status != 200:
	case rt.ok != 0:
		e.status = rt.ok
	case methodName == "POST" && rt.creates:
		e.status = 201
	}
	if g.inIncident && ri == g.incidentRoute && r.IntN(10) < 4 {
		e.status = 502
		if r.IntN(3) == 0 {
			e.status = 504
		}
	}

	cl := g.clients[int(float64(len(g.clients))*math.Pow(r.Float64(), 2.5))]
	ua := cl.ua
	e.referer = nil
	switch rt.kind {
	case kindProbe:
		cl = g.probes[r.IntN(len(g.probes))]
		ua = cl.ua
	case kindScanner:
		cl = g.clients[r.IntN(len(g.clients))]
		ua = g.firstBot + r.IntN(botAgents)
	case kindAPI, kindStatic:
		if r.IntN(10) < 7 {
			e.referer = g.referers[r.IntN(len(g.referers))]
		}
	case kindPage:
		switch n := r.IntN(10); {
		case n < 4:
			e.referer = g.referers[r.IntN(len(g.referers))]
		case n == 4:
			e.referer = g.google
		}
	}
	e.addr = cl.addr
	e.ua = g.uas[ua]
	e.host = g.host(rt)

	var upMS int64
	e.rtMS, upMS = g.times(rt, e.status)
	e.bytes = g.bodyBytes(rt, e.status)
	e.req = g.appendRequest(g.reqBuf[:0], rt, methodName)
	g.reqBuf = e.req
	e.weirdReq = false
	if r.IntN(10000) == 0 {
		e.weirdReq = true
		e.req, e.status, e.rtMS, upMS, e.bytes = g.weirdRequest()
		switch {
		case e.status == 400: // no headers were read
			e.ua, e.referer = nil, nil
		case r.IntN(2) == 0:
			e.ua = g.weirdUA
		}
	}
	g.upstream(e, upMS)
}

// render appends e to g.buf in the output format.
func (g *generator) render(e *event) {
	ts := g.tsLocal
	if g.json {
		ts = g.tsISO
	}
	if e.back != 0 {
		t := time.Unix(g.sec-e.back, 0).In(g.zone)
		if g.json {
			ts = t.AppendFormat(g.scratchT[:0], "2006-01-02T15:04:05-07:00")
		} else {
			ts = t.AppendFormat(g.scratchT[:0], "02/Jan/2006:15:04:05 -0700")
		}
		g.scratchT = ts
	}

	b := g.buf
	if g.json {
		b = append(b, `{"time":"`...)
		b = append(b, ts...)
		b = append(b, `","remote_addr":"`...)
		b = append(b, e.addr...)
		b = append(b, `","host":"`...)
		b = append(b, e.host...)
		b = append(b, `","request":"`...)
		b = g.appendReq(b, e)
		b = append(b, `","status":"`...)
		b = strconv.AppendInt(b, int64(e.status), 10)
		b = append(b, `","bytes":"`...)
		b = strconv.AppendInt(b, int64(e.bytes), 10)
		b = append(b, `","request_time":"`...)
		b = appendMillis(b, e.rtMS)
		b = append(b, `","upstream_response_time":"`...)
		b = appendUpstream(b, e, "") // escape=json logs a missing value as ""
		b = append(b, `","http_user_agent":"`...)
		b = append(b, e.ua...) // escape=json logs a missing header as ""
		b = append(b, `","http_referer":"`...)
		b = append(b, e.referer...)
		g.buf = append(b, "\"}\n"...)
		return
	}

	b = append(b, e.addr...)
	b = append(b, " - - ["...)
	b = append(b, ts...)
	b = append(b, `] "`...)
	b = g.appendReq(b, e)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.bytes), 10)
	b = append(b, ` "`...)
	if e.referer == nil {
		b = append(b, '-')
	} else {
		b = append(b, e.referer...)
	}
	b = append(b, `" "`...)
	if e.ua == nil {
		b = append(b, '-')
	} else {
		b = append(b, e.ua...)
	}
	b = append(b, '"')
	if g.opts.Format == FormatCustom {
		b = append(b, ' ')
		b = appendMillis(b, e.rtMS)
		b = append(b, ' ')
		b = appendUpstream(b, e, "-")
	}
	g.buf = append(b, '\n')
}

func (g *generator) appendReq(b []byte, e *event) []byte {
	if e.weirdReq {
		return g.escape(b, e.req)
	}
	return append(b, e.req...) // generated requests need no escaping
}

func (g *generator) pickRoute() int {
	x := g.r.Float64() * g.cum[len(g.cum)-1]
	lo, hi := 0, len(g.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if x < g.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// host is $host: three virtual hosts.
func (g *generator) host(rt *route) string {
	switch rt.kind {
	case kindStatic:
		return "static.example.com"
	case kindAPI:
		if g.r.IntN(8) == 0 {
			return "app.example.com" // same-origin calls from the app
		}
		return "api.example.com"
	}
	return "app.example.com"
}

func (g *generator) appendRequest(b []byte, rt *route, methodName string) []byte {
	r := g.r
	b = append(b, methodName...)
	b = append(b, ' ')
	for _, p := range rt.parts {
		switch p.ph {
		case 0:
			b = append(b, p.lit...)
		case phNum:
			// Ids skewed towards the older, busier records.
			b = strconv.AppendInt(b, 1+int64(250000*math.Pow(r.Float64(), 3)), 10)
		case phHex:
			b = appendHex(b, 0x5f00000000000000|r.Uint64()>>8, 16)
			b = appendHex(b, uint64(r.Uint32()), 8)
		case phUUID:
			b = appendUUID(b, r.Uint64(), r.Uint64())
		case phWord:
			b = append(b, g.words[r.IntN(len(g.words))]...)
		case phHash:
			b = append(b, g.hashes[g.day%len(g.hashes)]...)
		}
	}
	if len(rt.query) > 0 && r.IntN(2) == 0 {
		b = append(b, '?')
		b = append(b, rt.query[r.IntN(len(rt.query))]...)
	}
	if rt.kind == kindProbe || rt.kind == kindScanner || r.IntN(10) < 6 {
		return append(b, " HTTP/1.1"...)
	}
	return append(b, " HTTP/2.0"...)
}

// times returns $request_time and $upstream_response_time in milliseconds;
// upMS < 0 means no upstream ("-"). Request times are log-normal around the
// route's median, clamped to 1 ms .. 5 s, with status-specific shapes. (Only
// the rare garbage requests log 0.000.)
func (g *generator) times(rt *route, status int) (rtMS, upMS int64) {
	r := g.r
	median := rt.median
	switch status {
	case 304, 401, 403, 429:
		median *= 0.3
	case 499:
		median *= 6 // the client gave up on a slow response
	case 502, 503:
		median = 0.004
	}
	sec := median * math.Exp(0.75*r.NormFloat64())
	if status == 504 {
		sec = 5 // proxy_read_timeout
	}
	rtMS = min(max(int64(sec*1000+0.5), 1), 5000)

	upstream := rt.kind == kindAPI || rt.kind == kindPage || rt.kind == kindProbe
	if !upstream || status == 429 || (rt.kind == kindPage && status == 301 && rt.ok == 0) {
		return rtMS, -1 // served or refused by nginx itself
	}
	if status == 499 && r.IntN(4) == 0 {
		return rtMS, -1 // gave up before nginx had an upstream
	}
	upMS = rtMS - int64(r.IntN(3))
	if status == 504 {
		upMS = rtMS
	}
	return rtMS, max(upMS, 0)
}

// bodyBytes is $body_bytes_sent.
func (g *generator) bodyBytes(rt *route, status int) int {
	switch {
	case status == 204 || status == 304 || status == 499:
		return 0
	case status == 301:
		return 162 // nginx's or the app's short redirect page
	case status >= 400:
		return 150 + g.r.IntN(400)
	case rt.bytes == 0:
		return 0
	}
	return int(rt.bytes*math.Exp(0.5*g.r.NormFloat64())) + 1
}

// upstream sets e's $upstream_response_time from upMS (< 0: no upstream):
// one time or, rarely, the list nginx writes after trying the next upstream
// (", ") or following an internal redirect (" : ").
func (g *generator) upstream(e *event, upMS int64) {
	x := g.r.IntN(1000)
	switch {
	case upMS < 0:
		e.upN = 0
	case x < 5 && upMS >= 4: // next upstream after a failed attempt
		first := 1 + int64(g.r.IntN(int(min(upMS, 40))))
		e.up[0], e.up[1], e.upSep[0], e.upN = first, upMS-first, ", ", 2
	case x < 7 && upMS >= 10: // both, then an X-Accel-Redirect to a second location
		first := upMS / 3
		e.up[0], e.up[1], e.up[2] = first/2, first-first/2, upMS-first
		e.upSep[0], e.upSep[1], e.upN = ", ", " : ", 3
	case x < 10 && upMS >= 2:
		e.up[0], e.up[1], e.upSep[0], e.upN = upMS/2, upMS-upMS/2, " : ", 2
	default:
		e.up[0], e.upN = upMS, 1
	}
}

// appendUpstream writes $upstream_response_time, or none when there was no
// upstream.
func appendUpstream(b []byte, e *event, none string) []byte {
	if e.upN == 0 {
		return append(b, none...)
	}
	b = appendMillis(b, e.up[0])
	for i := 1; i < e.upN; i++ {
		b = append(b, e.upSep[i-1]...)
		b = appendMillis(b, e.up[i])
	}
	return b
}

// weirdRequest returns what nginx logs for a malformed request: a TLS
// ClientHello sent to the plain-HTTP port (400 in no time, as nginx logs it),
// or a raw UTF-8 path (404).
func (g *generator) weirdRequest() (req []byte, status int, rtMS, upMS int64, bytes int) {
	if g.r.IntN(2) == 0 {
		req = []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}
		for range 8 {
			req = append(req, byte(g.r.IntN(256)))
		}
		return req, 400, 0, -1, 157
	}
	return []byte("GET /検索/東京?q=\"x\" HTTP/1.1"), 404, 4, 3, 153
}

// escape appends s as nginx escapes variables: with escape=json, '"', '\'
// and bytes below 0x20 (\n, \u00XX, ...); by default '"', '\', bytes below
// 0x20 and above 0x7e as \xXX.
func (g *generator) escape(b, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	const lower = "0123456789abcdef"
	for _, c := range s {
		if g.json {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c == '\b':
				b = append(b, `\b`...)
			case c == '\f':
				b = append(b, `\f`...)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', lower[c>>4], lower[c&0xf])
			default:
				b = append(b, c)
			}
			continue
		}
		if c == '"' || c == '\\' || c < 0x20 || c > 0x7e {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return b
}

// appendMillis writes ms as seconds with three decimals, like $request_time.
func appendMillis(b []byte, ms int64) []byte {
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// appendHex writes the low digits*4 bits of v as lower-case hex.
func appendHex(b []byte, v uint64, digits int) []byte {
	const lower = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, lower[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// appendUUID writes a version-4 UUID made of hi and lo.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	b = appendHex(b, hi>>32, 8)
	b = append(b, '-')
	b = appendHex(b, hi>>16, 4)
	b = append(b, '-')
	b = appendHex(b, hi, 4)
	b = append(b, '-')
	b = appendHex(b, lo>>48, 4)
	b = append(b, '-')
	return appendHex(b, lo, 12)
}
