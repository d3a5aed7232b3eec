package server

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The server's rules about where a request comes from: who may write
// (change events, toil), and which pages may send beacons.

// writeGuard decides whether a write comes from where writes are allowed.
// Reads are not checked: they need credentials when server.auth is set,
// and nothing else.
type writeGuard struct {
	auth bool // server.auth is set: the auth middleware has checked the credentials
	// names are the host names, lower case and without a port, this server
	// is reached under besides loopback and IP addresses: server.listen's
	// host, and server.external_url's.
	names []string
	// origin is server.external_url's origin (https://headroom.example.com),
	// the one a proxy in front may serve the dashboard's form from; "" when
	// it is not set.
	origin string
}

func newWriteGuard(opts Options) writeGuard {
	g := writeGuard{auth: opts.Auth.enabled()}
	if host, _, err := net.SplitHostPort(opts.Listen); err == nil && host != "" {
		g.names = append(g.names, strings.ToLower(host))
	}
	if u, err := url.Parse(opts.ExternalURL); err == nil && u.Host != "" {
		g.names = append(g.names, strings.ToLower(u.Hostname()))
		g.origin = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	return g
}

// check refuses a write it should not take:
//
//   - its Host must be a name of this server (loopback, an IP address,
//     server.listen's or server.external_url's host), so that a page of
//     another site whose name was pointed at this address (DNS rebinding)
//     cannot write;
//   - without server.auth, it must come from this machine: a loopback
//     peer, a loopback Host, and no proxy in between (a request carrying
//     Forwarded or X-Forwarded-* was forwarded for someone else);
//   - a browser's write (Origin) must come from headroom's own pages: the
//     Host it was sent to, or server.external_url.
func (g writeGuard) check(r *http.Request) error {
	host := hostName(r.Host)
	loopback := host == "localhost" || isLoopbackIP(host)
	if !loopback && net.ParseIP(host) == nil && !slices.Contains(g.names, host) {
		return forbidden("write refused: Host " + r.Host + " is not a name of this server (server.listen, server.external_url)")
	}
	if !g.auth {
		peer, _, _ := net.SplitHostPort(r.RemoteAddr)
		switch {
		case !isLoopbackIP(peer):
			return forbidden("writes need server.auth (a bearer token or basic auth) from other machines")
		case forwarded(r):
			return forbidden("writes through a proxy need server.auth (a bearer token or basic auth)")
		case !loopback:
			return forbidden("writes without server.auth need a loopback Host (localhost, 127.0.0.1, [::1]), not " + r.Host)
		}
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || (!strings.EqualFold(u.Host, r.Host) && !strings.EqualFold(o, g.origin)) {
			return forbidden("cross-origin write refused")
		}
	}
	return nil
}

// forwarded says whether a proxy passed r on: it names a client or a host
// other than the connection's.
func forwarded(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip"} {
		if _, ok := r.Header[h]; ok {
			return true
		}
	}
	return false
}

// hostName is a Host header's host, lower case, without its port or an
// IPv6 address's brackets.
func hostName(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"))
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// rumOrigins are the origins browsers may send beacons from: every frontend
// app's rum.origins; "*" allows any.
type rumOrigins []string

func newRUMOrigins(opts Options) rumOrigins {
	var o rumOrigins
	if opts.RUM == nil || opts.Engine == nil {
		return o
	}
	for _, svc := range opts.Engine.Config().Services {
		if svc.RUM != nil {
			o = append(o, svc.RUM.Origins...)
		}
	}
	return o
}

// allow says whether a page on origin may send beacons; the collector
// checks each beacon against its own app's origins as well.
func (o rumOrigins) allow(origin string) bool {
	return origin != "" && (slices.Contains(o, "*") || slices.Contains(o, origin))
}
