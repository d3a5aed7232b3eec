package logformat

import (
	"strings"
	"testing"
)

// BenchmarkParseCustomNeed is ParseCustom with only what ingest uses.
func BenchmarkParseCustomNeed(b *testing.B) {
	p := mustCompile(b, customFormat, EscapeDefault)
	p.Need(VarTimeLocal, VarRequest, VarStatus, VarRequestTime)
	benchmarkParse(b, p, customLine)
}

// BenchmarkParseCombinedNeed is the combined preset with what ingest uses on
// it (the time, request, status and host variables, $request_time): the
// common case of `format: combined`.
func BenchmarkParseCombinedNeed(b *testing.B) {
	p := mustPreset(b, "combined")
	p.Need(VarTimeLocal, VarTimeISO8601, VarMsec, VarRequest, VarRequestMethod, VarRequestURI, VarURI,
		VarStatus, VarHost, VarHTTPHost, VarServerName, VarRequestTime)
	benchmarkParse(b, p, customLine[:strings.LastIndexByte(customLine, '"')+1])
}
