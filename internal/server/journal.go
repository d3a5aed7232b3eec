package server

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/store"
)

// decodeJSON reads a request body of at most limit bytes into v, refusing
// fields v does not have; what names the body in an error.
func decodeJSON(r *http.Request, limit int64, what string, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("%s: %v", what, err)
	}
	return nil
}

// checkBodyTime refuses a body's "at" outside the times a request may name
// (unset is now).
func checkBodyTime(at time.Time) error {
	if at.IsZero() {
		return nil
	}
	return checkTime("at", at.Format(time.RFC3339Nano), at)
}

// eventRequest is the body of POST /api/v1/events.
type eventRequest struct {
	Service     string    `json:"service"`
	Kind        string    `json:"kind"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	At          time.Time `json:"at"`
}

func (s *Server) apiAddEvent(r *http.Request) (any, error) {
	if err := s.guard.check(r); err != nil {
		return nil, err
	}
	var req eventRequest
	if err := decodeJSON(r, 64<<10, "a change event", &req); err != nil {
		return nil, err
	}
	if err := checkBodyTime(req.At); err != nil {
		return nil, err
	}
	e, err := review.CheckChange(s.opts.Engine.Config(), store.ChangeEvent{
		Service: req.Service, Kind: req.Kind, Version: req.Version, Description: req.Description, At: req.At,
	}, s.now())
	if err != nil {
		return nil, badRequest("%w", err)
	}
	if _, err := s.opts.Journal.AddChanges(r.Context(), []store.ChangeEvent{e}); err != nil {
		return nil, err
	}
	return created{e}, nil
}

func (s *Server) apiEvents(r *http.Request) (any, error) {
	p, err := parseParams(r, s.now(), 7*24*time.Hour)
	if err != nil {
		return nil, err
	}
	evs, err := s.opts.Journal.Changes(r.Context(), r.URL.Query().Get("service"), p.from, p.to)
	if err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []store.ChangeEvent{}
	}
	return map[string]any{"from": p.from, "to": p.to, "events": evs}, nil
}

// toilRequest is the body of POST /api/v1/toil, as JSON or the dashboard's
// form.
type toilRequest struct {
	Minutes     float64   `json:"minutes"`
	Category    string    `json:"category"`
	Tag         string    `json:"tag"`
	Service     string    `json:"service"`
	Description string    `json:"description"`
	At          time.Time `json:"at"`
}

// isForm says whether r carries the dashboard's form.
func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// decodeToilForm reads the dashboard's toil form.
func decodeToilForm(r *http.Request) (toilRequest, error) {
	// Without the ResponseWriter, MaxBytesReader only limits the body (the
	// connection is not closed for it).
	r.Body = http.MaxBytesReader(nil, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return toilRequest{}, badRequest("%v", err)
	}
	f := r.PostForm
	m, err := strconv.ParseFloat(f.Get("minutes"), 64)
	if err != nil || math.IsNaN(m) || math.IsInf(m, 0) {
		return toilRequest{}, badParam("minutes", f.Get("minutes"), "a number of minutes")
	}
	return toilRequest{Minutes: m, Category: f.Get("category"), Tag: f.Get("tag"), Service: f.Get("service"), Description: f.Get("description")}, nil
}

// apiAddToil takes a toil entry as JSON, or as the dashboard's form (then
// it redirects back to the review page).
func (s *Server) apiAddToil(r *http.Request) (any, error) {
	if err := s.guard.check(r); err != nil {
		return nil, err
	}
	var req toilRequest
	var err error
	if isForm(r) {
		req, err = decodeToilForm(r)
	} else {
		err = decodeJSON(r, 16<<10, "a toil entry", &req)
	}
	if err == nil {
		err = checkBodyTime(req.At)
	}
	if err != nil {
		return nil, err
	}
	e, err := review.CheckToil(s.opts.Engine.Config(), store.ToilEntry{
		Minutes: req.Minutes, Category: req.Category, Tag: req.Tag, Service: req.Service, Description: req.Description, At: req.At,
	}, s.now())
	if err != nil {
		return nil, badRequest("%w", err)
	}
	if e.ID, err = s.opts.Journal.AddToil(r.Context(), e); err != nil {
		return nil, err
	}
	if isForm(r) {
		return seeOther("/review"), nil
	}
	return created{e}, nil
}

func (s *Server) apiPolicy(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	service := r.URL.Query().Get("service")
	if service != "" && s.opts.Engine.Config().Service(service) == nil {
		return nil, notFound("service %q: not found", service)
	}
	return s.opts.Reviews.Policy(r.Context(), service, p.at)
}

type reviewData struct {
	Body     any
	Sprint   string
	Lang     string
	Services []string
	Service  string
}

// pageReview is the sprint review as a dashboard page, printable, with the
// toil form.
func (s *Server) pageReview(r *http.Request) (*view, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	which, lang, service := q.Get("sprint"), q.Get("lang"), q.Get("service")
	if which == "" {
		which = "current"
	}
	if lang != "ja" {
		lang = "en"
	}
	sp, err := review.NewSprints(s.opts.Engine.Config()).Resolve(which, p.at)
	if err != nil {
		return nil, badRequest("sprint %w", err)
	}
	rv, err := s.opts.Reviews.Review(r.Context(), sp, service, p.at)
	if err != nil {
		return nil, err
	}
	body, err := review.HTMLBody(rv, lang)
	if err != nil {
		return nil, err
	}
	pg := s.newPage(r, "Sprint review", p)
	pg.Data = reviewData{Body: body, Sprint: which, Lang: lang, Services: pg.Services, Service: service}
	return &view{"review", pg}, nil
}
