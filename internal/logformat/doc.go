// Package logformat compiles nginx log_format definitions and parses access
// log lines written with them into Records, without allocating.
//
// # Formats
//
// Compile takes a format as written in nginx.conf, either bare
//
//	$remote_addr - $remote_user [$time_local] "$request" $status
//
// or as pasted from the log_format directive, quoted segments and all:
//
//	'$remote_addr - $remote_user [$time_local] '
//	'"$request" $status';
//
// Quoted segments are concatenated as nginx does. Variables are written $name
// or ${name}. Preset returns the well-known formats (combined, main, common,
// ingress-nginx, nginx-ingress, json). A format compiles to a sequence of
// literals and variables; each variable's value ends where the literal after
// it next occurs, so two variables must be separated by a literal. A line must end where the format
// does, trailing spaces and tabs aside: text after the format's last literal,
// or after the value of its last variable when that value has a shape (a
// time, a status, a number, an upstream list), is an error, so a log with
// more fields than its format (a main log read as combined) does not parse;
// a last variable of free text runs to the end of the line. When the literal
// after a value starts with '"', a '"' escaped with a backslash does not end
// the value (except with escape=none).
//
// A value that contains the literal after it is ambiguous and will be cut
// short: with escape=none, a '"' inside a quoted value; with any escaping, a
// space inside an unquoted value, such as $uri, which nginx logs decoded
// ("/a b" for /a%20b). Quote such variables in the format, or prefer
// $request_uri, which nginx logs as received.
//
// # Variables
//
// The variables listed as Var constants fill the Record; any other variable
// is accepted and skipped. A value of "-" means unset for every variable
// (empty slice, -1, or 0 for Status and Time); so does an empty value with
// escape=json and in JSON formats, where nginx writes a missing value as ""
// (or as nothing at all when the variable is not quoted). Where several
// variables feed
// one field, the more faithful one wins regardless of order:
//
//   - Time: $msec, else $time_iso8601, else $time_local; all converted to UTC
//     Unix milliseconds honoring the logged UTC offset. Like nginx's, it is
//     the time the line was written, at the end of the request.
//   - Method: $request_method, else the first word of $request.
//   - URI: $request_uri, else the URI of $request, else $uri (which nginx
//     logs after rewrites and without the query string). Path is the URI
//     without its query string and fragment.
//   - Protocol: the last word of $request when it starts with "HTTP/", else
//     $server_protocol.
//   - Host: $host, else $http_host without its port, else $server_name.
//
// $proxy_upstream_name, which the ingress-nginx controller sets to the
// upstream it routes to ("<namespace>-<service>-<port>"), fills Upstream.
//
// $status must be three digits (000, which nginx logs when no status was
// set, gives Status 0). Durations such as $request_time ("0.123", any number
// of decimals) are converted to microseconds.
//
// A $request that is not "METHOD URI [PROTOCOL]" — a TLS handshake sent to a
// plain-HTTP port (logged as "\x16\x03\x01..."), "-", or an empty request —
// is not an error: the line parses with its status (typically 400) and empty
// Method, URI, Path and Protocol.
//
// # Upstream lists
//
// nginx logs the $upstream_* variables as lists: ", " separates the servers
// tried within one upstream group and " : " separates groups after an
// internal redirect, e.g. "0.004, 0.002 : 0.010"; elements may be "-". Lists
// are consumed as a unit even when the literal after them is a space. They
// are combined as follows:
//
//   - $upstream_response_time: the SUM of all elements other than "-", the
//     total time spent waiting on upstreams (UpstreamTime, microseconds).
//   - $upstream_status: the LAST element other than "-", the status nginx
//     acted on (UpstreamStatus).
//   - A list of only "-" is missing: UpstreamTime -1, UpstreamStatus 0.
//   - $upstream_addr is kept as logged, the whole list (UpstreamAddr).
//   - $upstream_connect_time and $upstream_header_time are validated like
//     $upstream_response_time but not stored.
//
// # Escaping
//
// With EscapeDefault, nginx writes '"', '\' and bytes outside 0x20..0x7e as
// \xHH; with EscapeJSON it writes JSON escapes. Text fields of the Record
// that contain a backslash are decoded (\xHH, \" and \\ for EscapeDefault;
// \" \\ \/ \b \f \n \r \t and \uXXXX, surrogate pairs included, for
// EscapeJSON) into a scratch buffer owned by the Parser; other values alias
// the line. Bytes that are not valid UTF-8 are left as they are.
//
// # JSON formats
//
// A format that starts with '{' is a JSON template, as commonly used with
// escape=json:
//
//	{"time":"$time_iso8601","status":$status,"req":"$request","rt":"$request_time"}
//
// Its keys map to the variables in their values, and lines are parsed as JSON
// objects in any key order: values may be strings, bare numbers or null;
// unknown keys are skipped, nested objects and arrays included; nested
// objects of the template are followed. A key whose value is just the
// variable of the same name also matches with a leading $ ("$status"). A
// line that is not a JSON object is a parse error.
//
// # Container wrappers
//
// On Kubernetes nginx logs to stdout and the container runtime wraps each
// line in the files under /var/log/containers: CRI ("<time> <stream> <P|F>
// <text>", containerd and CRI-O) or Docker's json-file
// ({"log":"<text>\n","stream":"stdout","time":"..."}). An Unwrapper takes
// those physical lines in order and returns the lines nginx wrote, which a
// Parser parses as plain lines: it joins the partial parts of a long line
// (CRI's P parts; Docker's logs without a trailing \n) to the full part
// that follows them in the same stream, and decodes Docker's JSON strings.
// The runtime's time is ignored: the line's own time counts. Wrapper.Cut
// finds where a run of physical lines can be cut without separating the
// parts of one line, so that a reader only ever stops between whole lines.
// A line that is not what its wrapper says is a *WrapError ("cri: no
// stream field"), a line of its own: it does not disturb the parts around
// it. A line without parts costs no allocation.
//
// # Errors
//
// Parse never panics, whatever the bytes. A line that does not fit yields a
// *ParseError, allocated once by Compile, whose message names what failed,
// e.g. "$status: not a 3-digit number", `expected "\" " after $request`,
// "$time_local: bad time" or "line too short: missing $status". Compile
// errors are *CompileError and give the byte position in the format.
//
// # Concurrency
//
// A Parser keeps a scratch buffer and a date cache, so it must not be used by
// several goroutines at once; Clone makes an independent copy.
package logformat
