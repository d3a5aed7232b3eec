package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// apiError is the one error shape of the JSON API.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Status  int    `json:"status"`
	Code    string `json:"code"` // bad_request, not_found, unauthorized, timeout, internal
	Message string `json:"message"`
}

// badRequest is an error in the request's parameters.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func badParam(name, value, want string) error {
	return badRequest{fmt.Sprintf("%s=%q: want %s", name, value, want)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: apiErrorBody{Status: status, Code: code, Message: msg}})
}

// fail maps an error to the API's error shape.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var br badRequest
	switch {
	case errors.As(err, &br), errors.Is(err, report.ErrBadRequest):
		writeAPIError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, report.ErrNotFound):
		writeAPIError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(r.Context().Err(), context.DeadlineExceeded):
		writeAPIError(w, http.StatusServiceUnavailable, "timeout", "the request took too long")
	default:
		s.opts.Log.Error("request failed", "path", r.URL.Path, "err", err)
		writeAPIError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

// params are the query parameters the API and the pages share.
type params struct {
	at       time.Time // the instant evaluated; now by default
	from, to time.Time // a range ending at `to` (default at)
	step     time.Duration
	rangeLen time.Duration
}

// maxRange bounds what one request may ask for.
const maxRange = 400 * 24 * time.Hour

// parseParams reads at, from, to, range and step. Times are RFC 3339 or Unix
// seconds; from and to may also be relative to at ("-7d", "now"); range is a
// duration (1h, 7d) ending at to; step is a duration (5m). defRange is the
// range when neither from nor range is given.
func parseParams(r *http.Request, now time.Time, defRange time.Duration) (params, error) {
	q := r.URL.Query()
	p := params{at: now}
	var err error
	if v := q.Get("at"); v != "" {
		if p.at, err = parseTime(v, now); err != nil {
			return p, badParam("at", v, "an RFC 3339 time or Unix seconds")
		}
	}
	p.to = p.at
	if v := q.Get("to"); v != "" {
		if p.to, err = parseTime(v, p.at); err != nil {
			return p, badParam("to", v, "an RFC 3339 time, Unix seconds or a duration before at (-1h)")
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
		if p.from, err = parseTime(v, p.at); err != nil {
			return p, badParam("from", v, "an RFC 3339 time, Unix seconds or a duration before at (-7d)")
		}
		p.rangeLen = p.to.Sub(p.from)
	}
	if !p.to.After(p.from) {
		return p, badRequest{fmt.Sprintf("from (%s) must be before to (%s)", p.from.Format(time.RFC3339), p.to.Format(time.RFC3339))}
	}
	if p.to.Sub(p.from) > maxRange {
		return p, badRequest{fmt.Sprintf("range %s is longer than %s", slo.FormatDuration(p.to.Sub(p.from)), slo.FormatDuration(maxRange))}
	}
	if v := q.Get("step"); v != "" {
		d, err := slo.ParseDuration(v)
		if err != nil || d < time.Minute {
			return p, badParam("step", v, "a duration of at least 1m")
		}
		p.step = d
	}
	return p, nil
}

// parseTime reads an RFC 3339 time, Unix seconds, "now", or a negative
// duration relative to base ("-7d").
func parseTime(v string, base time.Time) (time.Time, error) {
	switch {
	case v == "now":
		return base, nil
	case strings.HasPrefix(v, "-"):
		d, err := slo.ParseDuration(v[1:])
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

func (s *Server) apiSLOs(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	service := r.URL.Query().Get("service")
	list, err := s.opts.Engine.SLOs(r.Context(), p.at, service)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, slosResponse{At: p.at, SLOs: list})
}

func (s *Server) apiSLO(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.opts.Engine.SLO(r.Context(), r.PathValue("name"), p.at)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) apiSeries(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ser, err := s.opts.Engine.Series(r.Context(), r.PathValue("name"), p.from, p.to, p.step)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := seriesResponse{Series: ser, Changes: []store.ChangeEvent{}}
	if s.opts.Store != nil {
		spec, _ := s.opts.Engine.Spec(ser.SLO)
		changes, err := s.opts.Store.Changes(r.Context(), spec.Service, ser.From, ser.To)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out.Changes = append(out.Changes, changes...)
	}
	writeJSON(w, http.StatusOK, out)
}

// seriesResponse is a series with the changes of its SLO's service in its
// range, which the charts mark.
type seriesResponse struct {
	*report.Series
	Changes []store.ChangeEvent `json:"changes"`
}

func (s *Server) apiBreakdown(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "route"
	}
	limit := 10
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			s.fail(w, r, badParam("limit", v, "a number ≥ 0 (0: all)"))
			return
		}
	}
	b, err := s.opts.Engine.Breakdown(r.Context(), r.PathValue("name"), p.from, p.to, by, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) apiServices(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := servicesResponse{At: p.at, Services: []report.Service{}}
	for _, name := range s.opts.Engine.ServiceNames() {
		svc, err := s.opts.Engine.Service(r.Context(), name, p.from, p.to, p.step, 5)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		svc.Points = nil // the list is a summary; /services/{name} has the series
		out.Services = append(out.Services, *svc)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiService(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	svc, err := s.opts.Engine.Service(r.Context(), r.PathValue("name"), p.from, p.to, p.step, 10)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, svc)
}

func (s *Server) apiVitals(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	if _, err := s.opts.Engine.Service(r.Context(), name, p.from, p.to, p.step, 0); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.opts.Engine.Vitals(r.Context(), name, p.from, p.to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if v == nil {
		v = []report.PageVitals{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": name, "from": p.from, "to": p.to, "pages": v})
}
