package logformat

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzParse parses line with p and with a fresh clone of p, checks the
// invariants of a successful parse, that both parsers agree (so caches carry
// no state between lines) and that parsing the line again does not allocate.
func fuzzParse(t *testing.T, p *Parser, line []byte) {
	var r1, r2 Record
	err1 := p.Parse(line, &r1)
	if allocs := testing.AllocsPerRun(1, func() { _ = p.Parse(line, &r1) }); allocs != 0 {
		t.Fatalf("Parse allocates %v times", allocs)
	}
	err2 := p.Clone().Parse(line, &r2)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("warm parser: %v, fresh parser: %v", err1, err2)
	}
	if err1 != nil {
		var pe *ParseError
		if !errors.As(err1, &pe) {
			t.Fatalf("Parse returned %T %v, want a *ParseError", err1, err1)
		}
		return
	}
	checkRecord(t, line, &r1)
	if diff := cmp.Diff(toView(&r2), toView(&r1)); diff != "" {
		t.Fatalf("warm parser disagrees with a fresh one (-fresh +warm):\n%s", diff)
	}
	// What ingest parses: only some variables, maybe jumping to the last '"'.
	// A line that parses whole parses so too, to the same fields.
	q := p.Clone()
	q.Need(ingestNeeds...)
	var r3 Record
	if err := q.Parse(line, &r3); err != nil {
		t.Fatalf("Parse with Need: %v; without: ok", err)
	}
	if r3.Time != r1.Time || r3.Status != r1.Status || r3.RequestTime != r1.RequestTime ||
		string(r3.URI) != string(r1.URI) || string(r3.Method) != string(r1.Method) || string(r3.Host) != string(r1.Host) {
		t.Fatalf("with Need %+v, without %+v", toView(&r3), toView(&r1))
	}
	// A text line must end where its format does: text after a format
	// ending with a literal is an error, both ways.
	if steps := p.text.steps; p.root == nil && len(steps) > 0 && len(steps[len(steps)-1].lit) > 0 {
		longer := append(line[:len(line):len(line)], " x"...)
		if p.Parse(longer, &r1) == nil || q.Parse(longer, &r3) == nil {
			t.Fatalf("text after the end of the format accepted: %q", longer)
		}
	}
}

func FuzzParseCombined(f *testing.F) {
	f.Add([]byte(combinedLine))
	f.Add([]byte(`1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" 400 157 "-" "-"`))
	f.Add([]byte(`1.2.3.4 - - [29/Feb/2024:00:00:00 +1400] "GET /a\x22b?c#d HTTP/2.0" 000 0 "" "\xE2\x82\xAC"`))
	f.Add([]byte(`1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 2`))
	f.Add([]byte("\x00\xff\"\\"))
	f.Add([]byte(`1.2.3.4 - - [20/May/2015:12:05:17 +0000] "GET /c.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1`))
	f.Add([]byte(combinedLine + ` "10.0.0.1"`))
	f.Add([]byte(combinedLine + ` rt=0.123`))
	f.Add([]byte(combinedLine + ` "-" rt=0.123`))
	f.Add([]byte(`1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "x\"`))
	combined := mustPreset(f, "combined")
	main := mustPreset(f, "main")
	f.Fuzz(func(t *testing.T, line []byte) {
		fuzzParse(t, combined, line)
		fuzzParse(t, main, line)
	})
}

const fuzzCustomFormat = `$remote_addr [$time_iso8601] "$request" $status $request_time $upstream_response_time ` +
	`"$upstream_addr" $upstream_status $msec "$http_host" $upstream_connect_time`

func FuzzParseCustom(f *testing.F) {
	f.Add([]byte(`10.0.0.1 [2023-11-14T22:13:20+00:00] "GET /x HTTP/1.1" 200 0.031 0.004, 0.027 : 0.001 ` +
		`"10.0.0.2:80, 10.0.0.3:80 : unix:/s" 502, 200 : 200 1700000000.031 "h.example:8080" 0.001, - : 0.000`))
	f.Add([]byte(`- [-] "-" 499 0.000 - "-" - - "-" -`))
	f.Add([]byte(`1 [2023-11-14T22:13:20Z] "" 400 1 -, - "" -, - 1 "" -`))
	f.Add([]byte(`1 [2023-11-14T22:13:20.123456-12:00] "GET /" 204 99999999999 1.5`))
	f.Add([]byte(`- [-] "-" 499 0.000 - "-" - - "-" - example.com`))
	f.Add([]byte(`- [-] "-" 499 0.000 - "-" - - "-" 0.1, 0.2 : 0.3 rt=1`))
	p := mustCompile(f, fuzzCustomFormat, EscapeDefault)
	pj := mustCompile(f, fuzzCustomFormat, EscapeJSON)
	f.Fuzz(func(t *testing.T, line []byte) {
		fuzzParse(t, p, line)
		fuzzParse(t, pj, line)
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(jsonLine))
	f.Add([]byte(`{"status":200,"x":{"a":[1,{"b":"}]\"{"}]},"urt":0.1, 0.2 : 0.3,"ua":"\ud83d\ude00\u00e9\\"}`))
	f.Add([]byte(`{"time_iso8601":"2023-11-14T22:13:20Z","$status":"200","request":"GET / HTTP/1.1"}`))
	f.Add([]byte(`{"status":null,"req":"-","rt":"-"}`))
	f.Add([]byte(`{"status":200,"req":"GET`))
	f.Add([]byte(`[{"status":200}]`))
	custom := mustCompile(f, jsonFormat, EscapeJSON)
	preset := mustPreset(f, "json")
	f.Fuzz(func(t *testing.T, line []byte) {
		fuzzParse(t, custom, line)
		fuzzParse(t, preset, line)
	})
}

func FuzzCompile(f *testing.F) {
	combined, _, _ := Preset("combined")
	f.Add(combined, 0, []byte(combinedLine))
	f.Add(jsonFormat, 1, []byte(jsonLine))
	f.Add(customFormat, 2, []byte(customLine))
	f.Add("'$remote_addr ${status}'\n  '\\'$request_time\\'';", 0, []byte(`1.2.3.4 200'0.5'`))
	f.Add(`{"a":{"b":"x $host y"},"s":$status,"u":$upstream_status}`, 1, []byte(`{"a":{"b":"x h y"},"s":200,"u":502, 200}`))
	f.Add("${", 0, []byte("x"))
	f.Fuzz(func(t *testing.T, format string, esc int, line []byte) {
		p, err := Compile(format, Escape(esc))
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile returned %T %v, want a *CompileError", err, err)
			}
			if ce.Pos < 0 || ce.Pos > len(format) {
				t.Fatalf("error position %d outside the format (%d bytes)", ce.Pos, len(format))
			}
			return
		}
		fuzzParse(t, p, line)
	})
}
