package logformat

import "bytes"

// Ranks of the variables that compete for one Record field.
const (
	rankLow uint8 = iota + 1
	rankMid
	rankHigh
)

// apply stores the value of variable v in r. It reports false when the value
// is malformed. A value of "-" means unset for every variable, and so does an
// empty value where nginx writes missing values as empty strings.
func (p *Parser) apply(v Var, val []byte, r *Record, st *state) bool {
	if len(val) <= 1 && (len(val) == 0 && p.emptyUnset || len(val) == 1 && val[0] == '-') {
		return true
	}
	switch v {
	case VarRemoteAddr:
		r.RemoteAddr = p.textOf(val)
	case VarRemoteUser:
		r.RemoteUser = p.textOf(val)
	case VarTimeLocal:
		return p.setTime(r, st, rankLow, val)
	case VarTimeISO8601:
		return p.setTime(r, st, rankMid, val)
	case VarMsec:
		return p.setTime(r, st, rankHigh, val)
	case VarRequest:
		p.setRequest(r, st, val)
	case VarRequestMethod:
		if st.methodRank < rankHigh {
			r.Method, st.methodRank = p.textOf(val), rankHigh
		}
	case VarRequestURI:
		p.setURI(r, st, rankHigh, val)
	case VarURI:
		p.setURI(r, st, rankLow, val)
	case VarServerProtocol:
		if st.protoRank < rankLow {
			r.Protocol, st.protoRank = p.textOf(val), rankLow
		}
	case VarStatus:
		var ok bool
		r.Status, ok = parseStatus(val)
		return ok
	case VarBodyBytesSent:
		return parseCount(val, &r.BodyBytes)
	case VarBytesSent:
		return parseCount(val, &r.BytesSent)
	case VarRequestLength:
		return parseCount(val, &r.RequestLength)
	case VarRequestTime:
		d, ok := parseDuration(val)
		if ok {
			r.RequestTime = d
		}
		return ok
	case VarUpstreamResponseTime:
		var ok bool
		r.UpstreamTime, ok = sumDurations(val)
		return ok
	case VarUpstreamConnectTime, VarUpstreamHeaderTime:
		_, ok := sumDurations(val)
		return ok
	case VarUpstreamStatus:
		var ok bool
		r.UpstreamStatus, ok = lastStatus(val)
		return ok
	case VarUpstreamAddr:
		r.UpstreamAddr = p.textOf(val)
	case VarHost:
		p.setHost(r, st, rankHigh, val)
	case VarHTTPHost:
		p.setHost(r, st, rankMid, val)
	case VarServerName:
		p.setHost(r, st, rankLow, val)
	case VarHTTPReferer:
		r.Referer = p.textOf(val)
	case VarHTTPUserAgent:
		r.UserAgent = p.textOf(val)
	case VarHTTPXForwardedFor:
		r.XForwardedFor = p.textOf(val)
	case VarProxyUpstreamName:
		r.Upstream = p.textOf(val)
	}
	return true
}

// setTime parses a time variable; $msec wins over $time_iso8601, which wins
// over $time_local.
func (p *Parser) setTime(r *Record, st *state, rank uint8, val []byte) bool {
	var ms int64
	var ok bool
	switch rank {
	case rankLow:
		ms, ok = p.parseTimeLocal(val)
	case rankMid:
		ms, ok = p.parseTimeISO(val)
	default:
		ms, ok = parseMsec(val)
	}
	if ok && rank >= st.timeRank {
		r.Time, st.timeRank = ms, rank
	}
	return ok
}

// setRequest splits $request into method, URI and protocol. A request that
// is not "METHOD URI [HTTP/x]" (a TLS handshake sent to a plain-text port,
// an empty request) sets nothing.
func (p *Parser) setRequest(r *Record, st *state, val []byte) {
	method, uri, proto, ok := splitRequest(val)
	if !ok {
		return
	}
	if st.methodRank < rankLow {
		r.Method, st.methodRank = method, rankLow
	}
	p.setURI(r, st, rankMid, uri)
	if len(proto) > 0 && st.protoRank < rankHigh {
		r.Protocol, st.protoRank = p.textOf(proto), rankHigh
	}
}

// setURI sets r.URI; $request_uri wins over $request, which wins over $uri.
func (p *Parser) setURI(r *Record, st *state, rank uint8, val []byte) {
	if rank > st.uriRank {
		r.URI, st.uriRank = p.textOf(val), rank
	}
}

// setHost sets r.Host; $host wins over $http_host (port stripped), which
// wins over $server_name.
func (p *Parser) setHost(r *Record, st *state, rank uint8, val []byte) {
	if rank <= st.hostRank {
		return
	}
	h := p.textOf(val)
	if rank == rankMid {
		h = stripPort(h)
	}
	if len(h) > 0 {
		r.Host, st.hostRank = h, rank
	}
}

// splitRequest splits a request line into its method, URI and protocol. The
// protocol is the last word when it starts with "HTTP/"; otherwise the URI
// runs to the end. ok is false for requests without a valid method and URI.
func splitRequest(b []byte) (method, uri, proto []byte, ok bool) {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 || !isMethod(b[:sp]) {
		return nil, nil, nil, false
	}
	method, uri = b[:sp], b[sp+1:]
	if last := bytes.LastIndexByte(uri, ' '); last >= 0 && bytes.HasPrefix(uri[last+1:], []byte("HTTP/")) {
		uri, proto = uri[:last], uri[last+1:]
	}
	if len(uri) == 0 {
		return nil, nil, nil, false
	}
	return method, uri, proto, true
}

// isMethod reports whether b looks like an HTTP method: a short word of
// letters, digits, '-', '_' and '.'.
func isMethod(b []byte) bool {
	if len(b) > 32 {
		return false
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// stripPort removes a ":port" suffix from a Host header value, keeping IPv6
// literals in brackets intact.
func stripPort(h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i >= 0 {
			return h[:i+1]
		}
		return h
	}
	if i := bytes.IndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}
