package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// params are the query parameters the API and the pages share.
type params struct {
	at       time.Time // the instant evaluated; now by default
	from, to time.Time // a range ending at `to` (default at)
	step     time.Duration
	rangeLen time.Duration
}

// maxRange bounds what one request may ask for.
const maxRange = 400 * 24 * time.Hour

// params reads the common parameters of r, with a day's range by default.
func (s *Server) params(r *http.Request) (params, error) {
	return parseParams(r, s.now(), 24*time.Hour)
}

// parseParams reads at, from, to, range and step. Times are RFC 3339 or Unix
// seconds; from and to may also be relative to at ("-7d", "now"); range is a
// duration (1h, 7d) ending at to; step is a duration (5m). defRange is the
// range when neither from nor range is given. A time given outside
// [minTime, maxTime) is refused.
func parseParams(r *http.Request, now time.Time, defRange time.Duration) (params, error) {
	q := r.URL.Query()
	p := params{at: now}
	var err error
	if v := q.Get("at"); v != "" {
		if p.at, err = timeParam("at", v, now, "an RFC 3339 time or Unix seconds"); err != nil {
			return p, err
		}
	}
	p.to = p.at
	if v := q.Get("to"); v != "" {
		if p.to, err = timeParam("to", v, p.at, "an RFC 3339 time, Unix seconds or a duration before at (-1h)"); err != nil {
			return p, err
		}
	}
	p.rangeLen = defRange
	if v := q.Get("range"); v != "" {
		d, err := slo.ParseDuration(v)
		if err != nil || d <= 0 {
			return p, badParam("range", v, "a positive duration such as 1h or 7d")
		}
		p.rangeLen = d
	}
	p.from = p.to.Add(-p.rangeLen)
	if v := q.Get("from"); v != "" {
		if p.from, err = timeParam("from", v, p.at, "an RFC 3339 time, Unix seconds or a duration before at (-7d)"); err != nil {
			return p, err
		}
		p.rangeLen = p.to.Sub(p.from)
	}
	if !p.to.After(p.from) {
		return p, badRequest("from (%s) must be before to (%s)", p.from.Format(time.RFC3339), p.to.Format(time.RFC3339))
	}
	if p.to.Sub(p.from) > maxRange {
		return p, badRequest("range %s is longer than %s", slo.FormatDuration(p.to.Sub(p.from)), slo.FormatDuration(maxRange))
	}
	if v := q.Get("step"); v != "" {
		d, err := slo.ParseDuration(v)
		if err != nil || d < time.Minute || d > maxRange {
			return p, badParam("step", v, "a duration of at least 1m and at most "+slo.FormatDuration(maxRange))
		}
		p.step = d
	}
	return p, nil
}

// The times a request may name. Nothing headroom counts lies outside them,
// and some times past them (year 0, 9999) cannot be written as JSON.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// wantTime says what checkTime accepts.
const wantTime = "a time from 1970-01-01 to 2200-01-01"

// checkTime refuses a time outside [minTime, maxTime); name and v are the
// parameter or field it came from, as the client wrote it.
func checkTime(name, v string, t time.Time) error {
	if t.Before(minTime) || !t.Before(maxTime) {
		return badParam(name, v, wantTime)
	}
	return nil
}

// timeParam reads parameter name (value v) with parseTime, relative to
// base; want says what it takes when v is not a time.
func timeParam(name, v string, base time.Time, want string) (time.Time, error) {
	t, err := parseTime(v, base)
	if err != nil {
		return t, badParam(name, v, want)
	}
	return t, checkTime(name, v, t)
}

// parseTime reads an RFC 3339 time, Unix seconds, "now", or a negative
// duration relative to base ("-7d").
func parseTime(v string, base time.Time) (time.Time, error) {
	switch {
	case v == "now":
		return base, nil
	case strings.HasPrefix(v, "-"):
		d, err := slo.ParseDuration(v[1:])
		if errors.Is(err, slo.ErrDurationRange) {
			return time.Time{}, nil // a time before any: checkTime names the range
		}
		if err != nil {
			return time.Time{}, err
		}
		return base.Add(-d), nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	return t.UTC(), err
}

// The API's responses.

type slosResponse struct {
	At   time.Time    `json:"at"`
	SLOs []report.SLO `json:"slos"`
}

type servicesResponse struct {
	At       time.Time        `json:"at"`
	Services []report.Service `json:"services"`
}

// slos is every SLO as of at= (of service= when given), for the API and the
// overview page.
func (s *Server) slos(r *http.Request) (params, string, []report.SLO, error) {
	p, err := s.params(r)
	if err != nil {
		return p, "", nil, err
	}
	service := r.URL.Query().Get("service")
	list, err := s.opts.Engine.SLOs(r.Context(), p.at, service)
	return p, service, list, err
}

func (s *Server) apiSLOs(r *http.Request) (any, error) {
	p, _, list, err := s.slos(r)
	if err != nil {
		return nil, err
	}
	return slosResponse{At: p.at, SLOs: list}, nil
}

func (s *Server) apiSLO(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	return s.opts.Engine.SLO(r.Context(), r.PathValue("name"), p.at)
}

func (s *Server) apiSeries(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	ser, err := s.opts.Engine.Series(r.Context(), r.PathValue("name"), p.from, p.to, p.step)
	if err != nil {
		return nil, err
	}
	out := seriesResponse{Series: ser, Points: partialPoints(ser, p.to), Changes: []store.ChangeEvent{}}
	if s.opts.Journal != nil {
		spec, _ := s.opts.Engine.Spec(ser.SLO)
		changes, err := s.opts.Journal.Changes(r.Context(), spec.Service, ser.From, ser.To)
		if err != nil {
			return nil, err
		}
		out.Changes = append(out.Changes, changes...)
	}
	return out, nil
}

// seriesResponse is a series with the changes of its SLO's service in its
// range, which the charts mark, and its points marked partial where they
// are (its Points, in JSON, are these).
type seriesResponse struct {
	*report.Series
	Points  []seriesPoint       `json:"points"`
	Changes []store.ChangeEvent `json:"changes"`
}

// seriesPoint is a point of a series, marked partial (report.Partial) when
// its step does not lie wholly before the range's end: the charts then do
// not draw its short count as a drop.
type seriesPoint struct {
	report.Point
	Partial bool `json:"partial"`
}

// partialPoints returns the series' points, marked against the end the
// range was asked to have (to, before it was rounded up to the minute).
func partialPoints(ser *report.Series, to time.Time) []seriesPoint {
	step := time.Duration(ser.StepSeconds) * time.Second
	out := make([]seriesPoint, len(ser.Points))
	for i, pt := range ser.Points {
		out[i] = seriesPoint{Point: pt, Partial: report.Partial(pt.T, step, to)}
	}
	return out
}

func (s *Server) apiBreakdown(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	by := q.Get("by")
	if by == "" {
		by = "route"
	}
	limit := 10
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return nil, badParam("limit", v, "a number ≥ 0 (0: all)")
		}
	}
	return s.opts.Engine.Breakdown(r.Context(), r.PathValue("name"), p.from, p.to, by, limit)
}

func (s *Server) apiServices(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	out := servicesResponse{At: p.at, Services: []report.Service{}}
	for _, name := range s.opts.Engine.ServiceNames() {
		svc, err := s.opts.Engine.Service(r.Context(), name, p.from, p.to, p.step, 5)
		if err != nil {
			return nil, err
		}
		// The list is a summary; /services/{name} has the series.
		if svc.Traffic != nil {
			svc.Points = nil
		}
		if svc.Browser != nil {
			svc.Browser.Points = nil
		}
		out.Services = append(out.Services, *svc)
	}
	return out, nil
}

func (s *Server) apiService(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	return s.opts.Engine.Service(r.Context(), r.PathValue("name"), p.from, p.to, p.step, 10)
}

func (s *Server) apiVitals(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if _, err := s.opts.Engine.Service(r.Context(), name, p.from, p.to, p.step, 0); err != nil {
		return nil, err
	}
	v, err := s.opts.Engine.Vitals(r.Context(), name, p.from, p.to)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []report.PageVitals{}
	}
	return map[string]any{"service": name, "from": p.from, "to": p.to, "pages": v}, nil
}
