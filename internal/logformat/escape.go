package logformat

import (
	"fmt"
	"strings"
)

// Escape is the escaping nginx applied to variable values, as set by the
// escape= parameter of the log_format directive.
type Escape int

const (
	// EscapeDefault is nginx's default escaping: '"', '\' and bytes below
	// 0x20 or above 0x7e are written as \xHH.
	EscapeDefault Escape = iota
	// EscapeJSON is escape=json: JSON string escapes such as \" and \u001b.
	EscapeJSON
	// EscapeNone is escape=none: values are written as is.
	EscapeNone
)

// String returns the log_format spelling of e: "default", "json" or "none".
func (e Escape) String() string {
	switch e {
	case EscapeDefault:
		return "default"
	case EscapeJSON:
		return "json"
	case EscapeNone:
		return "none"
	}
	return fmt.Sprintf("Escape(%d)", int(e))
}

// ParseEscape parses the value of log_format's escape= parameter: "",
// "default", "json" or "none". A leading "escape=" is accepted too.
func ParseEscape(s string) (Escape, error) {
	switch strings.TrimPrefix(s, "escape=") {
	case "", "default":
		return EscapeDefault, nil
	case "json":
		return EscapeJSON, nil
	case "none":
		return EscapeNone, nil
	}
	return EscapeDefault, fmt.Errorf("unknown log_format escape %q (want default, json or none)", s)
}

// Preset returns a well-known format by name (see PresetNames):
//
//   - "combined": nginx's built-in format.
//   - "main": combined plus "$http_x_forwarded_for", as in the stock
//     nginx.conf.
//   - "common": the Common Log Format.
//   - "ingress-nginx": the default log-format-upstream of the Kubernetes
//     ingress-nginx controller ("upstreaminfo"): combined plus
//     $request_length, $request_time, [$proxy_upstream_name],
//     [$proxy_alternative_upstream_name], $upstream_addr,
//     $upstream_response_length, $upstream_response_time, $upstream_status
//     and $req_id.
//   - "nginx-ingress": the default log format of NGINX Inc.'s controller
//     (nginxinc/kubernetes-ingress), which is nginx's main format: it has
//     no $request_time.
//   - "json": see below.
//
// The json preset is a JSON object whose keys are variable names: it fills
// every known variable from the key of the same name, with or without a
// leading $, in any order, e.g.
// {"time_iso8601":"...","status":200,"request":"GET / HTTP/1.1"}. Because the
// preset lists every known variable, the Parser's Has methods report true for
// all of them even when the log lines carry only some.
func Preset(name string) (format string, esc Escape, ok bool) {
	const common = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`
	const combined = common + ` "$http_referer" "$http_user_agent"`
	switch name {
	case "common":
		return common, EscapeDefault, true
	case "combined":
		return combined, EscapeDefault, true
	case "main", "nginx-ingress":
		return combined + ` "$http_x_forwarded_for"`, EscapeDefault, true
	case "ingress-nginx":
		return combined + ` $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name]` +
			` $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`, EscapeDefault, true
	case "json":
		return jsonPreset(), EscapeJSON, true
	}
	return "", EscapeDefault, false
}

// PresetNames lists the names Preset knows, for messages.
func PresetNames() []string {
	return []string{"combined", "main", "common", "ingress-nginx", "nginx-ingress", "json"}
}

// jsonPreset builds the json preset: {"name":"$name",...} for every Var.
func jsonPreset() string {
	var b strings.Builder
	b.WriteByte('{')
	for v := VarNone + 1; v < numVars; v++ {
		if v > VarNone+1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%s":"$%s"`, varNames[v], varNames[v])
	}
	b.WriteByte('}')
	return b.String()
}
