package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/rum"
	"github.com/headroom-slo/headroom/internal/store"
)

// The handler contract: a handler returns what it answers, or an error; it
// never writes. api renders an answer as JSON, page as HTML; both render an
// error through failureOf, and statusOf is the one place an error meets its
// HTTP status.

// apiFunc answers an API request: a value to send as JSON (200, or as
// created, seeOther or noContent say), or an error.
type apiFunc func(r *http.Request) (any, error)

// pageFunc answers a page request: the view to render, or an error.
type pageFunc func(r *http.Request) (*view, error)

// view is a template and the page it renders.
type view struct {
	name string
	page page
}

// created is a value the request added: 201 with it as JSON.
type created struct{ v any }

// seeOther sends a browser back to a page (303), after a form.
type seeOther string

// noContent is 204.
type noContent struct{}

// api turns an apiFunc into a handler.
func (s *Server) api(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		switch v := v.(type) {
		case created:
			s.writeJSON(w, r, http.StatusCreated, v.v)
		case seeOther:
			http.Redirect(w, r, string(v), http.StatusSeeOther)
		case noContent:
			w.WriteHeader(http.StatusNoContent)
		default:
			s.writeJSON(w, r, http.StatusOK, v)
		}
	}
}

// page turns a pageFunc into a handler.
func (s *Server) page(f pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err == nil {
			if err = s.pages.render(w, r, http.StatusOK, v.name, v.page); err == nil {
				return
			}
			err = fmt.Errorf("render %s: %w", v.name, err)
		}
		s.pageError(w, r, err)
	}
}

// apiError writes err in the API's error shape.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	f := s.failureOf(r, err)
	if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
		// The beacons' rate limit is per second, the collector retries its
		// commits every second, and a timed-out query may pass in a second.
		w.Header().Set("Retry-After", "1")
	}
	s.writeJSON(w, r, f.Status, apiError{Error: f})
}

// pageError writes err as the error page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	f := s.failureOf(r, err)
	pg := page{Title: http.StatusText(f.Status), Data: errorPage{Status: f.Status, Message: f.Message}}
	if s.opts.Engine != nil {
		pg.Services = s.opts.Engine.ServiceNames()
	}
	if err := s.pages.render(w, r, f.Status, "error", pg); err != nil {
		s.opts.Log.Error("render the error page", "path", r.URL.Path, "err", err)
		http.Error(w, f.Message, f.Status)
	}
}

// apiError is the one error shape of the JSON API.
type apiError struct {
	Error failure `json:"error"`
}

// failure is a failed request as its client is told.
type failure struct {
	Status  int    `json:"status"`
	Code    string `json:"code"` // bad_request, not_found, unauthorized, forbidden, timeout, storage_full, internal, or a beacon's reason
	Message string `json:"message"`
}

// Messages of the 5xx, which say nothing of their cause.
const (
	msgTimeout  = "the request took too long"
	msgInternal = "internal error"
	msgFull     = "the server's store is full (no room left on its disk): nothing of the request was stored; send it again when there is room"
)

// timeoutBody is what http.TimeoutHandler answers: the API's shape.
var timeoutBody = func() string {
	b, _ := json.Marshal(apiError{Error: failure{Status: http.StatusServiceUnavailable, Code: "timeout", Message: msgTimeout}})
	return string(b)
}()

// failureOf is what the client of r is told of err. A 4xx says what was
// wrong with the request in the error's words; a 5xx says only that it
// failed, with an id under which the error is logged here.
func (s *Server) failureOf(r *http.Request, err error) failure {
	if statusOf(err) == http.StatusInternalServerError && errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		// Past its deadline a query fails with whatever the store says.
		err = fmt.Errorf("%w: %w", errTimeout, err)
	}
	status := statusOf(err)
	if rej := (*rum.Rejection)(nil); errors.As(err, &rej) {
		// A refused beacon says why, whatever its status (a 503 while
		// the store cannot commit); it is the client's answer, not a fault.
		return failure{Status: status, Code: rej.Reason, Message: rej.Detail}
	}
	if status < 500 {
		return failure{Status: status, Code: codes[status], Message: err.Error()}
	}
	id := requestID()
	log := s.opts.Log.With("method", r.Method, "path", r.URL.Path, "status", status, "request_id", id, "err", err)
	switch status {
	case http.StatusServiceUnavailable:
		log.Warn("request timed out")
		return failure{Status: status, Code: "timeout", Message: msgTimeout}
	case http.StatusInsufficientStorage:
		// A push's agent keeps it and retries: it and its operator are
		// told why, in the log too.
		log.Error("request refused: the store is full")
		return failure{Status: status, Code: "storage_full", Message: msgFull + " (request id " + id + ")"}
	}
	log.Error("request failed")
	return failure{Status: status, Code: "internal", Message: msgInternal + " (request id " + id + ")"}
}

// codes are the API's error codes of the 4xx.
var codes = map[int]string{
	http.StatusBadRequest:       "bad_request",
	http.StatusUnauthorized:     "unauthorized",
	http.StatusForbidden:        "forbidden",
	http.StatusNotFound:         "not_found",
	http.StatusMethodNotAllowed: "method_not_allowed",
}

// requestID names a failed request in the log and to its client.
func requestID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// The kinds of error a handler returns besides internal ones, told apart
// with errors.Is.
var (
	errBadRequest       = errors.New("bad request")
	errUnauthorized     = errors.New("unauthorized")
	errForbidden        = errors.New("forbidden")
	errNotFound         = errors.New("not found")
	errMethodNotAllowed = errors.New("method not allowed")
	errTimeout          = errors.New("timeout")
)

// statusOf is the HTTP status of err: the one place errors meet statuses.
// Errors of no kind are internal: 500.
func statusOf(err error) int {
	var rej *rum.Rejection
	switch {
	case errors.As(err, &rej):
		return rej.Status
	case errors.Is(err, errBadRequest), errors.Is(err, report.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errForbidden):
		return http.StatusForbidden
	case errors.Is(err, errNotFound), errors.Is(err, report.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errTimeout), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case store.IsFull(err):
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// clientError is a mistake of the client's, of a kind, told back to it in
// its own words.
type clientError struct {
	kind error
	err  error
}

func (e clientError) Error() string   { return e.err.Error() }
func (e clientError) Unwrap() []error { return []error{e.kind, e.err} }

func clientErrorf(kind error, format string, args ...any) error {
	return clientError{kind: kind, err: fmt.Errorf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return clientErrorf(errBadRequest, format, args...)
}

func badParam(name, value, want string) error {
	return badRequest("%s=%q: want %s", name, value, want)
}

func notFound(format string, args ...any) error {
	return clientErrorf(errNotFound, format, args...)
}

func forbidden(msg string) error { return clientErrorf(errForbidden, "%s", msg) }

// writeJSON answers v as JSON with status. It encodes v before it writes
// anything, so a value that cannot be encoded (a NaN, a time past year
// 9999) is a 500 in the error shape, logged, never an empty 200.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var b bytes.Buffer
	if err := report.WriteJSON(&b, v, false); err != nil {
		f := s.failureOf(r, fmt.Errorf("encode the answer: %w", err))
		status = f.Status
		b.Reset()
		_ = report.WriteJSON(&b, apiError{Error: f}, false) // numbers and strings: cannot fail
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes()) // the status is sent: a failure here is the client's going away
}
