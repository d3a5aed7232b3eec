package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/headroom-slo/headroom/internal/rum"
)

// rumScript is /rum.js: web-vitals followed by headroom's loader, and its
// gzip form, built once.
type rumScript struct {
	plain, gz []byte
}

func newRumScript() (*rumScript, error) {
	wv, err := assetFS.ReadFile("assets/web-vitals.iife.js")
	if err != nil {
		return nil, err
	}
	loader, err := assetFS.ReadFile("assets/rum-loader.js")
	if err != nil {
		return nil, err
	}
	// The built file points at a source map that is not served.
	if i := bytes.LastIndex(wv, []byte("//# sourceMappingURL=")); i >= 0 {
		wv = wv[:i]
	}
	s := &rumScript{plain: append(append(append([]byte{}, wv...), '\n'), loader...)}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(s.plain)
	zw.Close()
	s.gz = b.Bytes()
	return s, nil
}

// serveRumJS serves /rum.js to any page (no credentials): pages on other
// origins load it with a script tag.
func (s *Server) serveRumJS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Vary", "Accept-Encoding")
	body := s.rumJS.plain
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = s.rumJS.gz
	}
	w.Write(body)
}

// rumRoute is /api/v1/rum, for browsers on other origins: CORS, the
// preflight, and POST a beacon. Only the frontend apps' rum.origins are
// allowed: a preflight from any other origin is refused (403), and no
// answer tells another origin it may read it.
func (s *Server) rumRoute() http.HandlerFunc {
	accept := s.api(s.apiRUM)
	return func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Set("Vary", "Origin")
		allowed := s.origins.allow(origin)
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		switch r.Method {
		case http.MethodPost:
			accept(w, r)
		case http.MethodOptions: // a preflight, for senders that set application/json
			if !allowed {
				s.apiError(w, r, clientErrorf(errForbidden, "origin %q is not one of the frontend apps' rum.origins", origin))
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.Header().Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "POST, OPTIONS")
			s.apiError(w, r, clientErrorf(errMethodNotAllowed, "POST a beacon"))
		}
	}
}

// apiRUM takes a beacon. It answers 204 at once, or a 4xx (429 for a client
// sending too fast) with the error shape and the reason (a *rum.Rejection);
// nothing of a refused beacon is stored.
func (s *Server) apiRUM(r *http.Request) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, rum.MaxBody+1))
	if err != nil {
		return nil, &rum.Rejection{Status: http.StatusBadRequest, Reason: "malformed", Detail: "reading the beacon: " + err.Error()}
	}
	if err := s.opts.RUM.Accept(body, r.Header.Get("Origin"), clientAddr(r)); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

// clientAddr is the client's IP address, for rate limits: the connection's
// (headroom does not trust X-Forwarded-For; put rate limits in the proxy
// when there is one).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
