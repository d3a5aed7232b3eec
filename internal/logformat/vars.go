package logformat

import (
	"strconv"
	"strings"
)

// Var identifies an nginx variable that the package interprets. Variables the
// package does not know are accepted in formats and skipped when parsing.
type Var uint8

// The known variables. VarNone, the zero Var, is not a variable.
const (
	VarNone                 Var = iota
	VarRemoteAddr               // $remote_addr
	VarRemoteUser               // $remote_user
	VarTimeLocal                // $time_local, e.g. 10/Oct/2000:13:55:36 -0700
	VarTimeISO8601              // $time_iso8601, e.g. 2000-10-10T13:55:36-07:00
	VarMsec                     // $msec, e.g. 1700000000.123
	VarRequest                  // $request, e.g. GET /index.html HTTP/1.1
	VarRequestMethod            // $request_method
	VarRequestURI               // $request_uri
	VarURI                      // $uri (also $document_uri)
	VarServerProtocol           // $server_protocol
	VarStatus                   // $status
	VarBodyBytesSent            // $body_bytes_sent
	VarBytesSent                // $bytes_sent
	VarRequestLength            // $request_length
	VarRequestTime              // $request_time
	VarUpstreamResponseTime     // $upstream_response_time (a list)
	VarUpstreamConnectTime      // $upstream_connect_time (a list)
	VarUpstreamHeaderTime       // $upstream_header_time (a list)
	VarUpstreamStatus           // $upstream_status (a list)
	VarUpstreamAddr             // $upstream_addr (a list)
	VarHost                     // $host
	VarHTTPHost                 // $http_host
	VarServerName               // $server_name
	VarHTTPReferer              // $http_referer
	VarHTTPUserAgent            // $http_user_agent
	VarHTTPXForwardedFor        // $http_x_forwarded_for
	VarProxyUpstreamName        // $proxy_upstream_name (ingress-nginx), e.g. shop-orders-8080

	numVars
)

// varNames holds the canonical nginx name of each Var.
var varNames = [numVars]string{
	VarRemoteAddr:           "remote_addr",
	VarRemoteUser:           "remote_user",
	VarTimeLocal:            "time_local",
	VarTimeISO8601:          "time_iso8601",
	VarMsec:                 "msec",
	VarRequest:              "request",
	VarRequestMethod:        "request_method",
	VarRequestURI:           "request_uri",
	VarURI:                  "uri",
	VarServerProtocol:       "server_protocol",
	VarStatus:               "status",
	VarBodyBytesSent:        "body_bytes_sent",
	VarBytesSent:            "bytes_sent",
	VarRequestLength:        "request_length",
	VarRequestTime:          "request_time",
	VarUpstreamResponseTime: "upstream_response_time",
	VarUpstreamConnectTime:  "upstream_connect_time",
	VarUpstreamHeaderTime:   "upstream_header_time",
	VarUpstreamStatus:       "upstream_status",
	VarUpstreamAddr:         "upstream_addr",
	VarHost:                 "host",
	VarHTTPHost:             "http_host",
	VarServerName:           "server_name",
	VarHTTPReferer:          "http_referer",
	VarHTTPUserAgent:        "http_user_agent",
	VarHTTPXForwardedFor:    "http_x_forwarded_for",
	VarProxyUpstreamName:    "proxy_upstream_name",
}

// String returns the nginx name of v without the leading $, e.g.
// "request_time".
func (v Var) String() string {
	if v > VarNone && v < numVars {
		return varNames[v]
	}
	return "Var(" + strconv.Itoa(int(v)) + ")"
}

// VarByName returns the Var for an nginx variable name, with or without the
// leading $ (names are case-insensitive, as in nginx). It reports false for
// variables the package does not interpret.
func VarByName(name string) (Var, bool) {
	name = strings.ToLower(strings.TrimPrefix(name, "$"))
	if name == "document_uri" {
		return VarURI, true
	}
	for v := VarNone + 1; v < numVars; v++ {
		if varNames[v] == name {
			return v, true
		}
	}
	return VarNone, false
}

// isListVar reports whether nginx logs the variable as a per-upstream list
// ("a, b : c"). Every $upstream_* variable is such a list.
func isListVar(v Var, name string) bool {
	switch v {
	case VarUpstreamResponseTime, VarUpstreamConnectTime, VarUpstreamHeaderTime,
		VarUpstreamStatus, VarUpstreamAddr:
		return true
	case VarNone:
		return len(name) > len("upstream_") && strings.EqualFold(name[:len("upstream_")], "upstream_")
	}
	return false
}

// needsValue reports whether an empty value is malformed for v (numbers,
// times and statuses), as opposed to an empty text.
func needsValue(v Var) bool {
	switch v {
	case VarTimeLocal, VarTimeISO8601, VarMsec, VarStatus, VarBodyBytesSent,
		VarBytesSent, VarRequestLength, VarRequestTime, VarUpstreamResponseTime,
		VarUpstreamConnectTime, VarUpstreamHeaderTime, VarUpstreamStatus:
		return true
	}
	return false
}

// valueProblem describes what is wrong with a malformed value of v, for
// parse errors.
func valueProblem(v Var) string {
	switch v {
	case VarTimeLocal, VarTimeISO8601, VarMsec:
		return "bad time"
	case VarStatus:
		return "not a 3-digit number"
	case VarBodyBytesSent, VarBytesSent, VarRequestLength:
		return "not a number"
	case VarRequestTime:
		return "not a duration in seconds"
	case VarUpstreamResponseTime, VarUpstreamConnectTime, VarUpstreamHeaderTime:
		return "not a list of durations in seconds"
	case VarUpstreamStatus:
		return "not a list of 3-digit numbers"
	}
	return "bad value"
}
