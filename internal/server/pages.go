package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/alert"
	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/slo"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// assetHandler serves the embedded assets under /assets/. They change only
// with the binary, so browsers may keep them for an hour.
func assetHandler() http.Handler {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// pages renders the dashboard's HTML.
type pages struct {
	t map[string]*template.Template
}

// partialHeader asks for a page's <main> only: the pages' script refreshes
// their numbers with it.
const partialHeader = "X-Headroom-Partial"

func newPages() (*pages, error) {
	p := &pages{t: map[string]*template.Template{}}
	for _, name := range []string{"overview", "slo", "service", "alerts", "review", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

// page is what every template gets.
type page struct {
	Title     string
	At        time.Time
	AtParam   string // the at= of the request, kept in links
	Live      bool   // at is now: the page refreshes itself
	RefreshMs int64
	Services  []string
	Data      any
}

// render writes the page, or nothing and an error.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) error {
	var buf bytes.Buffer
	tmpl := "layout.html"
	if r.Header.Get(partialHeader) != "" {
		tmpl = "main"
	}
	if err := p.t[name].ExecuteTemplate(&buf, tmpl, pg); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

type errorPage struct {
	Status  int
	Message string
}

func (s *Server) newPage(r *http.Request, title string, p params) page {
	pg := page{Title: title, At: p.at, Services: s.opts.Engine.ServiceNames(), AtParam: r.URL.Query().Get("at")}
	pg.Live = pg.AtParam == "" && s.opts.Pinned.IsZero()
	if pg.Live && s.opts.Refresh > 0 {
		pg.RefreshMs = s.opts.Refresh.Milliseconds()
	}
	return pg
}

type overviewData struct {
	Service string
	SLOs    []report.SLO
	Agents  []report.Agent
}

func (s *Server) pageOverview(r *http.Request) (*view, error) {
	p, service, list, err := s.slos(r)
	if err != nil {
		return nil, err
	}
	agents, err := s.opts.Engine.Agents(r.Context(), p.at)
	if err != nil {
		return nil, err
	}
	pg := s.newPage(r, "SLOs", p)
	pg.Data = overviewData{Service: service, SLOs: list, Agents: agents}
	return &view{"overview", pg}, nil
}

// Ranges are the range picker's choices.
var Ranges = []string{"1h", "6h", "24h", "7d", "28d", "90d"}

type sloData struct {
	SLO        *report.SLO
	Range      string // the picked range, "" for a custom one
	From, To   time.Time
	Src        template.URL // the series the charts draw
	Breakdowns []*report.Breakdown
	Latency    bool
	Math       sloMath
	Components []config.Component  // of a composite
	Policy     *review.PolicyState // the error budget policy rule in force
	Rules      []config.PolicyRule // the whole policy
}

// sloMath is the "show the math" panel: the formulas with their numbers.
type sloMath struct {
	Objective, Epsilon, Total, Good, Bad, SLI, ErrorRatio, BurnRate, Remaining float64
	Allowed, Left, Period, Minutes                                             float64
	Tiers                                                                      []report.Tier
}

func (s *Server) pageSLO(r *http.Request) (*view, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	o, err := s.opts.Engine.SLO(r.Context(), name, p.at)
	if err != nil {
		return nil, err
	}
	d := sloData{SLO: o, Range: pickedRange(r), From: p.from, To: p.to, Latency: o.Type == "latency"}
	d.Src = apiURL("/api/v1/slos/"+url.PathEscape(name)+"/series", p)
	spec, _ := s.opts.Engine.Spec(name)
	d.Components = spec.Components
	d.Rules = s.opts.Engine.Config().Policy
	d.Policy = review.PolicyFor(d.Rules, o.BudgetRemaining, o.NoData)
	for _, by := range report.Dimensions {
		if spec.IsComposite() {
			break // its components have the breakdowns
		}
		b, err := s.opts.Engine.Breakdown(r.Context(), name, p.from, p.to, by, 10)
		if err != nil {
			return nil, err
		}
		if by == "node" && !fromAgents(b) {
			continue // every cell was read here: one node says nothing
		}
		d.Breakdowns = append(d.Breakdowns, b)
	}
	eps := o.ErrorBudget
	period, _ := slo.ParseDuration(o.Period)
	d.Math = sloMath{
		Objective: o.Objective / 100, Epsilon: eps, Total: o.Total, Good: o.Good, Bad: o.Bad, SLI: o.SLI,
		Allowed: eps * o.Total, Left: eps*o.Total - o.Bad, Remaining: o.BudgetRemaining,
		Period: period.Minutes(), Minutes: o.BudgetMinutes, Tiers: o.Tiers,
	}
	if o.Total > 0 {
		d.Math.ErrorRatio = o.Bad / o.Total
		d.Math.BurnRate = d.Math.ErrorRatio / eps
	}
	pg := s.newPage(r, o.Name, p)
	pg.Data = d
	return &view{"slo", pg}, nil
}

// fromAgents reports whether a node breakdown has cells pushed by agents.
func fromAgents(b *report.Breakdown) bool {
	for _, r := range b.Rows {
		if r.Key != report.LocalNode {
			return true
		}
	}
	return false
}

type serviceData struct {
	Service *report.Service
	SLOs    []report.SLO
	Range   string
	Src     template.URL // the traffic the charts draw
	// Capacity is the capacity section (capacity.go), for a service with
	// logs; nil without.
	Capacity *capacityData
}

func (s *Server) pageService(r *http.Request) (*view, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	svc, err := s.opts.Engine.Service(r.Context(), name, p.from, p.to, p.step, 10)
	if err != nil {
		return nil, err
	}
	list, err := s.opts.Engine.SLOs(r.Context(), p.at, name)
	if err != nil {
		return nil, err
	}
	d := serviceData{Service: svc, SLOs: list, Range: pickedRange(r)}
	d.Src = apiURL("/api/v1/services/"+url.PathEscape(name), p)
	if svc.Traffic != nil {
		if d.Capacity, err = s.capacitySection(r.Context(), name, p); err != nil {
			return nil, err
		}
	}
	pg := s.newPage(r, "Service "+name, p)
	pg.Data = d
	return &view{"service", pg}, nil
}

// pickedRange is the range picker's choice: range= (24h by default), or ""
// for a custom range (from=).
func pickedRange(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case q.Get("from") != "":
		return ""
	case q.Get("range") != "":
		return q.Get("range")
	}
	return "24h"
}

// apiURL is path with the range of p, for a chart's data. It is a
// template.URL so that html/template keeps the query as it is (a plain string
// in a src attribute would be escaped a second time).
func apiURL(path string, p params) template.URL {
	v := url.Values{}
	v.Set("from", p.from.Format(time.RFC3339))
	v.Set("to", p.to.Format(time.RFC3339))
	if p.step > 0 {
		v.Set("step", slo.FormatDuration(p.step))
	}
	return template.URL(path + "?" + v.Encode())
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"pct":   fmtPct,
	"sli":   report.FormatSLI,
	"rate":  func(f float64) string { return fmt.Sprintf("%.2f%%", f*100) },
	"pct1":  func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"num":   fmtNum,
	"whole": func(f float64) string { return fmtNum(math.Round(f)) },
	"float": func(f float64) string { return fmt.Sprintf("%.4g", f) },
	"burn": func(v any) string {
		if f, ok := number(v); ok {
			return fmt.Sprintf("%.2f", f)
		}
		return "–" // the store cannot answer the window exactly any more
	},
	"ms":       fmtMs,
	"minutes":  fmtMinutes,
	"time":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"local":    func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") },
	"burnCls":  burnClass,
	"budgetCl": budgetClass,
	"spark":    sparkPath,
	"meter":    func(f float64) float64 { return math.Max(0, math.Min(100, f*100)) },
	"query":    withQuery,
	"rawValue": func(v any) string {
		if f, ok := number(v); ok {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return ""
	},
	"ranges":  func() []string { return Ranges },
	"windows": func() []string { return []string{"1h", "6h", "3d"} },
	"anyActive": func(states []alert.State) bool {
		return slices.ContainsFunc(states, func(s alert.State) bool { return s.Phase.Active() })
	},
	"classes":    func() []string { return report.Classes },
	"list":       func(s ...string) []string { return s },
	"vitalNames": beacon.Names,
	"vital": func(vitals map[string]report.Vital, name string) *report.Vital {
		if v, ok := vitals[name]; ok {
			return &v
		}
		return nil
	},
	"events":  eventsNoun,
	"rating":  func(r string) string { return strings.ReplaceAll(r, "-", " ") },
	"chart":   chart,
	"dimName": dimName,
	"vitalValue": func(name string, v float64) string {
		if name == beacon.CLS {
			return fmt.Sprintf("%.3f", v)
		}
		return fmtMs(&v)
	},
	"div": func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	},
	"tierFor": tierFor,
}

// chartDiv is a chart's place on a page (the "chart" template): app.js
// draws the chart of Kind from the JSON at Src, and shows the loading note
// until it has.
type chartDiv struct {
	Kind      string
	Src       template.URL
	Threshold string // a latency chart's threshold line ("300ms")
	Unit      string // what a volume chart counts ("requests")
}

// chart returns a chartDiv; opts are key/value pairs: "threshold", "unit".
func chart(kind string, src template.URL, opts ...string) (chartDiv, error) {
	c := chartDiv{Kind: kind, Src: src}
	for i := 0; i+1 < len(opts); i += 2 {
		switch opts[i] {
		case "threshold":
			c.Threshold = opts[i+1]
		case "unit":
			c.Unit = opts[i+1]
		default:
			return c, fmt.Errorf("chart %s: unknown option %q", kind, opts[i])
		}
	}
	return c, nil
}

// browserSLI reports whether an SLI type counts browser events.
func browserSLI(sliType string) bool {
	switch sliType {
	case config.WebVital, config.JSErrors, config.BrowserAPI:
		return true
	}
	return false
}

// eventsNoun is what an SLO of sliType counts, in the plural.
func eventsNoun(sliType string) string {
	switch sliType {
	case config.WebVital, config.JSErrors:
		return "page views"
	case config.BrowserAPI:
		return "API calls"
	case config.Composite:
		return "events"
	}
	return "requests"
}

// dimName names a breakdown's dimension for an SLO of sliType: a frontend
// app's events are stored with the page or API path as the route, the event
// as the status, the device class as the host and the navigation type as
// the method.
func dimName(sliType, by string) string {
	if !browserSLI(sliType) {
		return by
	}
	switch by {
	case "route":
		if sliType == config.BrowserAPI {
			return "API path"
		}
		return "page"
	case "status":
		return "event"
	case "host":
		return "device"
	case "method":
		return "navigation"
	}
	return by
}

func fmtPct(f float64) string {
	switch {
	case f >= 0.99999 && f < 1:
		return fmt.Sprintf("%.4f%%", f*100)
	case f >= 0.999:
		return fmt.Sprintf("%.3f%%", f*100)
	}
	return fmt.Sprintf("%.2f%%", f*100)
}

// fmtNum prints a count with thousands separators (fractions, from
// interpolated latency counts, to one decimal).
func fmtNum(f float64) string {
	neg := f < 0
	f = math.Abs(f)
	whole := math.Floor(f)
	s := fmt.Sprintf("%.0f", whole)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac := f - whole; frac >= 0.05 {
		fmt.Fprintf(&b, ".%d", int(math.Round(frac*10))%10)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

func fmtMs(p *float64) string {
	if p == nil {
		return "–"
	}
	if *p >= 1000 {
		return fmt.Sprintf("%.2f s", *p/1000)
	}
	return fmt.Sprintf("%.0f ms", *p)
}

func fmtMinutes(m float64) string {
	switch {
	case m <= 0:
		return "none"
	case m < 1:
		return fmt.Sprintf("%.0f s", m*60)
	case m < 120:
		return fmt.Sprintf("%.0f min", m)
	case m < 48*60:
		return fmt.Sprintf("%.1f h", m/60)
	}
	return fmt.Sprintf("%.1f days", m/60/24)
}

// burnClass colours a burn rate over window w against the tiers whose long
// window it is: "page" or "ticket" above their threshold, "over" above 1
// (spending faster than the budget allows), else "ok".
func burnClass(o report.SLO, w string) string {
	b, ok := number(o.BurnRates[w])
	if !ok {
		return "unknown"
	}
	for _, sev := range []string{"page", "ticket"} {
		for _, t := range o.Tiers {
			if t.Long == w && t.Severity == sev && b > t.Threshold {
				return sev
			}
		}
	}
	if b > 1 {
		return "over"
	}
	return "ok"
}

// number is a template value as a number: a float64, or a *float64 that
// is not nil (a window that cannot be answered is nil).
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case *float64:
		if v != nil {
			return *v, true
		}
	}
	return 0, false
}

// tierFor returns the tier whose long window is w, if any.
func tierFor(o report.SLO, w string) *report.Tier {
	for i := range o.Tiers {
		if o.Tiers[i].Long == w {
			return &o.Tiers[i]
		}
	}
	return nil
}

func budgetClass(o report.SLO) string {
	switch {
	case o.NoData:
		return "nodata"
	case o.BudgetRemaining <= 0:
		return "exhausted"
	case o.BudgetRemaining < 0.25:
		return "low"
	}
	return "ok"
}

// sparkPath draws an SLO's sparkline in a 120×28 box: the path of the SLI
// (gaps without traffic) and the y of the objective. The y axis runs from a
// little below the lower of the objective and the worst point up to 100%.
type spark struct {
	Path       string
	ObjectiveY string
}

func sparkPath(o report.SLO) spark {
	const w, h = 120.0, 28.0
	obj := o.Objective / 100
	lo := obj
	for _, p := range o.Sparkline {
		if p.SLI != nil && *p.SLI < lo {
			lo = *p.SLI
		}
	}
	lo -= (1 - lo) * 0.25
	if lo >= 1 {
		lo = 0.999
	}
	y := func(v float64) float64 { return h - (v-lo)/(1-lo)*h }
	var b strings.Builder
	pen := false
	n := len(o.Sparkline)
	for i, p := range o.Sparkline {
		if p.SLI == nil {
			pen = false
			continue
		}
		x := w * float64(i) / math.Max(1, float64(n-1))
		op := "L"
		if !pen {
			op = "M"
		}
		fmt.Fprintf(&b, "%s%.1f,%.1f ", op, x, y(*p.SLI))
		pen = true
	}
	return spark{Path: strings.TrimSpace(b.String()), ObjectiveY: fmt.Sprintf("%.1f", y(obj))}
}

// withQuery returns path with the page's at= kept and the given key/value
// pairs set.
func withQuery(path, at string, kv ...string) string {
	v := url.Values{}
	if at != "" {
		v.Set("at", at)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
