package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/review"
	"github.com/headroom-slo/headroom/internal/store"
)

// Writes (change events, toil) need credentials when server.auth is set
// (the auth middleware checks them); without auth they are taken only from
// this machine. Forms must come from headroom's own pages (Origin).
func (s *Server) writeAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !s.opts.Auth.enabled() {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			writeAPIError(w, http.StatusForbidden, "forbidden", "writes need server.auth (a bearer token or basic auth) from other machines")
			return false
		}
	}
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			writeAPIError(w, http.StatusForbidden, "forbidden", "cross-origin write refused")
			return false
		}
	}
	return true
}

func (s *Server) apiAddEvent(w http.ResponseWriter, r *http.Request) {
	if !s.writeAllowed(w, r) {
		return
	}
	var e store.ChangeEvent
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		s.fail(w, r, badRequest{"a change event: " + err.Error()})
		return
	}
	if e.Service == "" || s.opts.Engine.Config().Service(e.Service) == nil {
		s.fail(w, r, badRequest{fmt.Sprintf("service %q: want a configured service", e.Service)})
		return
	}
	if e.Kind == "" {
		e.Kind = "deploy"
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	if _, err := s.opts.Store.AddChanges(r.Context(), []store.ChangeEvent{e}); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 7*24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := s.opts.Store.Changes(r.Context(), r.URL.Query().Get("service"), p.from, p.to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []store.ChangeEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": p.from, "to": p.to, "events": evs})
}

// apiAddToil takes a toil entry as JSON, or as the dashboard's form (then
// it redirects back to the review page).
func (s *Server) apiAddToil(w http.ResponseWriter, r *http.Request) {
	if !s.writeAllowed(w, r) {
		return
	}
	var e store.ToilEntry
	form := strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	if form {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, badRequest{err.Error()})
			return
		}
		m, err := strconv.ParseFloat(r.PostForm.Get("minutes"), 64)
		if err != nil {
			s.fail(w, r, badParam("minutes", r.PostForm.Get("minutes"), "a number of minutes"))
			return
		}
		e = store.ToilEntry{Minutes: m, Category: r.PostForm.Get("category"), Tag: r.PostForm.Get("tag"),
			Service: r.PostForm.Get("service"), Description: r.PostForm.Get("description")}
	} else {
		dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			s.fail(w, r, badRequest{"a toil entry: " + err.Error()})
			return
		}
	}
	if e.Minutes <= 0 || e.Minutes > 24*60 {
		s.fail(w, r, badRequest{fmt.Sprintf("minutes %v: want 1 to 1440", e.Minutes)})
		return
	}
	if e.Category == "" {
		e.Category = "interrupt"
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	id, err := s.opts.Store.AddToil(r.Context(), e)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e.ID = id
	if form {
		http.Redirect(w, r, "/review", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) apiPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	service := r.URL.Query().Get("service")
	cfg := s.opts.Engine.Config()
	if service != "" && cfg.Service(service) == nil {
		s.fail(w, r, fmt.Errorf("service %q: %w", service, report.ErrNotFound))
		return
	}
	pol, err := review.Policy(r.Context(), cfg, s.opts.Engine, service, p.at)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pol)
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
func (s *Server) pageReview(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, s.now(), 24*time.Hour)
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	q := r.URL.Query()
	which, lang, service := q.Get("sprint"), q.Get("lang"), q.Get("service")
	if which == "" {
		which = "current"
	}
	if lang != "ja" {
		lang = "en"
	}
	cfg := s.opts.Engine.Config()
	sprints := review.NewSprints(cfg)
	sp, err := sprints.Resolve(which, p.at)
	if err != nil {
		s.pageFail(w, r, badRequest{err.Error()})
		return
	}
	rv, err := review.Build(r.Context(), review.Inputs{Config: cfg, Engine: s.opts.Engine, Store: s.opts.Store, Sprints: sprints}, sp, service, p.at)
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	body, err := review.HTMLBody(rv, lang)
	if err != nil {
		s.pageFail(w, r, err)
		return
	}
	pg := s.newPage(r, "Sprint review", p)
	pg.Data = reviewData{Body: body, Sprint: which, Lang: lang, Services: s.opts.Engine.ServiceNames(), Service: service}
	s.pages.render(w, r, http.StatusOK, "review", pg)
}
