package logformat

import "testing"

// BenchmarkParseCustomNeed is ParseCustom with only what ingest uses.
func BenchmarkParseCustomNeed(b *testing.B) {
	p := mustCompile(b, customFormat, EscapeDefault)
	p.Need(VarTimeLocal, VarRequest, VarStatus, VarRequestTime)
	benchmarkParse(b, p, customLine)
}
