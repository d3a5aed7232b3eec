package logformat

// Record is one parsed access-log line.
//
// Byte slices alias the parsed line or the Parser's scratch buffer; they are
// valid until the next call to Parse on the same Parser. Numeric fields use -1
// (or 0 for Status/Time) for "not present in the format or logged as -".
type Record struct {
	Time int64 // Unix milliseconds, UTC; 0 when the line has no time

	Method   []byte // request method ($request_method, or the first word of $request)
	URI      []byte // request target as logged, query string included ($request_uri, $uri, or from $request)
	Path     []byte // URI without the query string and fragment
	Protocol []byte // e.g. HTTP/1.1, from $request or $server_protocol

	Status         int // $status; 0 when missing
	UpstreamStatus int // last status of the $upstream_status list; 0 when missing

	RequestTime  int64 // $request_time in microseconds; -1 when missing
	UpstreamTime int64 // $upstream_response_time summed over its list, microseconds; -1 when missing

	BodyBytes     int64 // $body_bytes_sent; -1 when missing
	BytesSent     int64 // $bytes_sent; -1 when missing
	RequestLength int64 // $request_length; -1 when missing

	Host          []byte // $host, else $http_host (port stripped), else $server_name
	RemoteAddr    []byte
	RemoteUser    []byte
	Referer       []byte
	UserAgent     []byte
	XForwardedFor []byte
	UpstreamAddr  []byte
	// Upstream names the upstream the request was routed to:
	// $proxy_upstream_name, which the ingress-nginx controller sets to
	// "<namespace>-<service>-<port>" (empty when nginx answered itself).
	Upstream []byte
}

// Reset clears r for reuse without releasing memory.
func (r *Record) Reset() {
	*r = Record{RequestTime: -1, UpstreamTime: -1, BodyBytes: -1, BytesSent: -1, RequestLength: -1}
}
