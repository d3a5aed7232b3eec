package server

import (
	"bytes"
	"compress/gzip"
	"errors"
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

// apiRUM takes a beacon. It answers 204 at once, or a 4xx (429 for a client
// sending too fast) with the error shape and the reason; nothing of a
// refused beacon is stored.
func (s *Server) apiRUM(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Vary", "Origin")
	}
	if r.Method == http.MethodOptions { // a preflight, for senders that set application/json
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, rum.MaxBody+1))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "malformed", "reading the beacon: "+err.Error())
		return
	}
	if err := s.opts.RUM.Accept(body, origin, clientAddr(r)); err != nil {
		var rej *rum.Rejection
		if errors.As(err, &rej) {
			if rej.Status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			writeAPIError(w, rej.Status, rej.Reason, rej.Detail)
			return
		}
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
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
