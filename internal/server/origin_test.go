package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/rum"
)

// TestWriteRules: a write (here a change event) is taken only from where
// writes are allowed. Without server.auth: from this machine, to a
// loopback Host, not through a proxy. With it: to a Host that names this
// server. And a browser's only from headroom's own pages. A page of
// another site that points its name at 127.0.0.1 (DNS rebinding) or a
// reverse proxy on this machine writes nothing without credentials.
func TestWriteRules(t *testing.T) {
	const token = "s3cret"
	for _, tc := range []struct {
		name   string
		auth   bool // server.auth is set and the request carries its token
		remote string
		host   string
		header []string // name, value, ...
		status int
		says   string
	}{
		{name: "this machine", remote: "127.0.0.1:4000", host: "127.0.0.1:8080", status: 201},
		{name: "localhost", remote: "127.0.0.1:4000", host: "localhost:8080", status: 201},
		{name: "IPv6 loopback", remote: "[::1]:4000", host: "[::1]:8080", status: 201},
		{name: "the dashboard's form", remote: "127.0.0.1:4000", host: "127.0.0.1:8080", header: []string{"Origin", "http://127.0.0.1:8080"}, status: 201},
		{name: "DNS rebinding", remote: "127.0.0.1:4000", host: "evil.example:8080", header: []string{"Origin", "http://evil.example:8080"},
			status: 403, says: "Host evil.example:8080 is not a name of this server"},
		{name: "DNS rebinding, no Origin", remote: "127.0.0.1:4000", host: "evil.example", status: 403, says: "is not a name of this server"},
		{name: "reverse proxy on this machine", remote: "127.0.0.1:4000", host: "headroom.example.com", header: []string{"X-Forwarded-For", "203.0.113.5"},
			status: 403, says: "writes through a proxy need server.auth"},
		{name: "proxy passing a loopback Host", remote: "127.0.0.1:4000", host: "127.0.0.1:8080", header: []string{"X-Forwarded-For", "203.0.113.5"},
			status: 403, says: "through a proxy"},
		{name: "Forwarded", remote: "127.0.0.1:4000", host: "localhost:8080", header: []string{"Forwarded", "for=203.0.113.5"}, status: 403, says: "through a proxy"},
		{name: "X-Forwarded-Host", remote: "127.0.0.1:4000", host: "localhost:8080", header: []string{"X-Forwarded-Host", "headroom.example.com"}, status: 403, says: "through a proxy"},
		{name: "X-Forwarded-Proto", remote: "127.0.0.1:4000", host: "localhost:8080", header: []string{"X-Forwarded-Proto", "https"}, status: 403, says: "through a proxy"},
		{name: "the external name, unauthenticated", remote: "127.0.0.1:4000", host: "headroom.example.com", status: 403, says: "need a loopback Host"},
		{name: "this machine's address", remote: "127.0.0.1:4000", host: "192.0.2.7:8080", status: 403, says: "need a loopback Host"},
		{name: "another machine", remote: "192.0.2.1:4000", host: "127.0.0.1:8080", status: 403, says: "from other machines"},
		{name: "another origin", remote: "127.0.0.1:4000", host: "127.0.0.1:8080", header: []string{"Origin", "http://evil.example"}, status: 403, says: "cross-origin"},
		{name: "an opaque origin", remote: "127.0.0.1:4000", host: "127.0.0.1:8080", header: []string{"Origin", "null"}, status: 403, says: "cross-origin"},

		{name: "authenticated through the proxy", auth: true, remote: "127.0.0.1:4000", host: "headroom.example.com",
			header: []string{"X-Forwarded-For", "203.0.113.5", "Origin", "https://headroom.example.com"}, status: 201},
		{name: "authenticated from another machine", auth: true, remote: "192.0.2.1:4000", host: "10.0.0.5:8080", status: 201},
		{name: "authenticated, a proxy rewriting Host", auth: true, remote: "127.0.0.1:4000", host: "127.0.0.1:8080",
			header: []string{"Origin", "https://headroom.example.com"}, status: 201},
		{name: "authenticated, DNS rebinding", auth: true, remote: "127.0.0.1:4000", host: "evil.example", status: 403, says: "is not a name of this server"},
		{name: "authenticated, another origin", auth: true, remote: "192.0.2.1:4000", host: "headroom.example.com",
			header: []string{"Origin", "https://evil.example"}, status: 403, says: "cross-origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &fakeJournal{}
			opts := Options{Engine: fakeEngine{}, Journal: j, ExternalURL: "https://headroom.example.com/"}
			if tc.auth {
				opts.Auth = Auth{BearerToken: token}
			}
			s, _, _ := fakeServer(t, opts)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/events", strings.NewReader(`{"service": "web"}`))
			req.RemoteAddr, req.Host = tc.remote, tc.host
			for i := 0; i+1 < len(tc.header); i += 2 {
				req.Header.Set(tc.header[i], tc.header[i+1])
			}
			if tc.auth {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.says) {
				t.Errorf("POST from %s to Host %s %q = %d %s, want %d saying %q", tc.remote, tc.host, tc.header, rec.Code, rec.Body, tc.status, tc.says)
			}
			if stored := len(j.changes) > 0; stored != (tc.status == 201) {
				t.Errorf("stored %d events, answered %d", len(j.changes), rec.Code)
			}
		})
	}
	// Reads are not checked: a GET through a proxy or to another name works.
	s, _, _ := fakeServer(t, Options{Engine: fakeEngine{}, Journal: &fakeJournal{}})
	req := httptest.NewRequest(http.MethodGet, "/api/v1/events", nil)
	req.Host = "evil.example"
	req.Header.Set("X-Forwarded-For", "203.0.113.5")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("GET /api/v1/events through a proxy: %d %s", rec.Code, rec.Body)
	}
}

// TestWriteGuardNames: the names writes are taken under are loopback, IP
// addresses, and the hosts of server.listen and server.external_url.
func TestWriteGuardNames(t *testing.T) {
	g := newWriteGuard(Options{Listen: "headroom.internal:8080", ExternalURL: "https://Headroom.Example.com:8443/dash", Auth: Auth{BearerToken: "x"}})
	for host, want := range map[string]bool{
		"headroom.internal:8080":    true,
		"HEADROOM.internal":         true,
		"headroom.example.com:8443": true,
		"headroom.example.com":      true,
		"localhost:8080":            true,
		"10.1.2.3:8080":             true,
		"[2001:db8::1]:8080":        true,
		"evil.example":              false,
		"headroom.internal.evil":    false,
		"":                          false,
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/toil", nil)
		req.Host = host
		if err := g.check(req); (err == nil) != want {
			t.Errorf("Host %q: %v, want allowed %v", host, err, want)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/toil", nil)
	req.Host = "127.0.0.1:8080"
	req.Header.Set("Origin", "https://headroom.example.com:8443")
	if err := g.check(req); err != nil {
		t.Errorf("a form from server.external_url's origin: %v", err)
	}
}

// fakeBeacons takes every beacon.
type fakeBeacons struct{}

func (fakeBeacons) Accept(body []byte, origin, client string) error { return nil }
func (fakeBeacons) Stats() rum.Stats                                { return rum.Stats{} }

// TestRUMCORS: /api/v1/rum answers a preflight only for the frontend
// apps' rum.origins, and tells no other origin it may read an answer.
func TestRUMCORS(t *testing.T) {
	app := func(origins ...string) config.Service {
		return config.Service{Name: "shop", RUM: &config.RUM{Origins: origins}}
	}
	for _, tc := range []struct {
		name    string
		apps    []config.Service
		method  string
		origin  string
		status  int
		allowed bool // Access-Control-Allow-Origin is the origin
	}{
		{"preflight from the app", []config.Service{app("https://shop.example.com")}, http.MethodOptions, "https://shop.example.com", 204, true},
		{"preflight from another app's page", []config.Service{{Name: "web"}, app("https://shop.example.com"), {Name: "blog", RUM: &config.RUM{Origins: []string{"https://blog.example.com"}}}},
			http.MethodOptions, "https://blog.example.com", 204, true},
		{"preflight from elsewhere", []config.Service{app("https://shop.example.com")}, http.MethodOptions, "https://evil.example", 403, false},
		{"preflight from a lookalike", []config.Service{app("https://shop.example.com")}, http.MethodOptions, "https://shop.example.com.evil.example", 403, false},
		{"preflight without an origin", []config.Service{app("https://shop.example.com")}, http.MethodOptions, "", 403, false},
		{"preflight, any origin", []config.Service{app("*")}, http.MethodOptions, "https://anywhere.example", 204, true},
		{"beacon from the app", []config.Service{app("https://shop.example.com")}, http.MethodPost, "https://shop.example.com", 204, true},
		{"beacon from elsewhere", []config.Service{app("https://shop.example.com")}, http.MethodPost, "https://evil.example", 204, false}, // the collector refuses it
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := fakeServer(t, Options{Engine: fakeEngine{cfg: &config.Config{Services: tc.apps}}, RUM: fakeBeacons{}})
			req := httptest.NewRequest(tc.method, "/api/v1/rum", strings.NewReader(`{}`))
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			req.Header.Set("Access-Control-Request-Method", "POST")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			acao := rec.Header().Get("Access-Control-Allow-Origin")
			if rec.Code != tc.status || (acao == tc.origin && acao != "") != tc.allowed || (!tc.allowed && acao != "") {
				t.Errorf("%s from %q = %d, Access-Control-Allow-Origin %q: want %d, allowed %v; %s", tc.method, tc.origin, rec.Code, acao, tc.status, tc.allowed, rec.Body)
			}
			if rec.Header().Get("Vary") != "Origin" {
				t.Errorf("Vary %q, want Origin", rec.Header().Get("Vary"))
			}
		})
	}
}

// refusingBeacons refuses every beacon with its rejection.
type refusingBeacons struct{ rej *rum.Rejection }

func (b refusingBeacons) Accept(body []byte, origin, client string) error { return b.rej }
func (refusingBeacons) Stats() rum.Stats                                  { return rum.Stats{} }

// TestBeaconRefusalsSayWhy: a refused beacon is answered with the
// collector's reason at its status, 5xx included (a store that cannot commit
// answers 503 unavailable, not a timeout), and the statuses a client should
// come back from carry Retry-After.
func TestBeaconRefusalsSayWhy(t *testing.T) {
	for _, rej := range []*rum.Rejection{
		{Status: 503, Reason: "unavailable", Detail: "the store cannot commit; try again"},
		{Status: 429, Reason: "rate_limited", Detail: "too many beacons"},
		{Status: 400, Reason: "malformed", Detail: "two page views"},
	} {
		s, _, _ := fakeServer(t, Options{Engine: fakeEngine{cfg: &config.Config{}}, RUM: refusingBeacons{rej}})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/rum", strings.NewReader(`{}`)))
		var body apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v %s", rej.Reason, err, rec.Body)
		}
		retry := rec.Header().Get("Retry-After")
		if rec.Code != rej.Status || body.Error.Code != rej.Reason || body.Error.Message != rej.Detail || (retry != "") != (rej.Status != 400) {
			t.Errorf("%s: %d %+v, Retry-After %q: want %d with the reason", rej.Reason, rec.Code, body.Error, retry, rej.Status)
		}
	}
}
