package logformat

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzWrapped feeds data, a wrapped log, to an Unwrapper line by line and
// checks it against Cut: Cut ends at a newline exactly when the Unwrapper
// has no line open there; after the last newline both see the same streams open; every
// error is a *WrapError; text never outgrows what was fed.
func fuzzWrapped(t *testing.T, w Wrapper, data []byte) {
	end, last, lastOpen := w.Cut(data, 0)
	if end > last || last > len(data) || end > 0 && data[end-1] != '\n' || last > 0 && data[last-1] != '\n' {
		t.Fatalf("Cut = %d, %d for %d bytes", end, last, len(data))
	}
	u := NewUnwrapper(w)
	fed := 0
	for pos := 0; pos < last; {
		i := bytes.IndexByte(data[pos:], '\n')
		line := data[pos : pos+i]
		pos += i + 1
		text, _, ok, err := u.Line(line)
		if err != nil {
			var we *WrapError
			if !errors.As(err, &we) || ok || text != nil {
				t.Fatalf("Line(%q) = %q, %v, %v", line, text, ok, err)
			}
		}
		fed += len(line)
		if len(text) > fed {
			t.Fatalf("text of %d bytes from %d bytes of lines", len(text), fed)
		}
		if ok {
			fed = 0
		}
		// Cut may end here exactly when no line is open here.
		if e, _, _ := w.Cut(data[:pos], 0); (e == pos) != (u.Open() == 0) {
			t.Fatalf("Cut of the first %d bytes ends at %d; the Unwrapper has %b open there", pos, e, u.Open())
		}
	}
	if u.Open() != lastOpen {
		t.Fatalf("after the last newline: Cut says %b open, the Unwrapper %b", lastOpen, u.Open())
	}
}

// splits returns where cuts cut text: ascending offsets inside it, on rune
// boundaries when runes is set (Docker writes each part as valid JSON).
func splits(text []byte, cuts []byte, runes bool) []int {
	var at []int
	for _, c := range cuts {
		if len(text) == 0 {
			break
		}
		i := int(c) % len(text)
		if runes {
			for i > 0 && !utf8.RuneStart(text[i]) {
				i--
			}
		}
		if i > 0 {
			at = append(at, i)
		}
	}
	slices.Sort(at)
	return slices.Compact(at)
}

// sameParse checks that a line split into parts unwraps to the same text,
// and parses to the same record, as the line whole.
func sameParse(t *testing.T, w Wrapper, whole []byte, parts [][]byte, parsers []*Parser) {
	u := NewUnwrapper(w)
	want, s1, ok1, err1 := u.Line(whole)
	want = bytes.Clone(want)
	var got []byte
	var s2 Stream
	var ok2 bool
	var err2 error
	for i, p := range parts {
		got, s2, ok2, err2 = u.Line(p)
		if err2 != nil || ok2 != (i == len(parts)-1) {
			t.Fatalf("part %d of %d %q: ok %v, %v", i+1, len(parts), p, ok2, err2)
		}
		if i == len(parts)/2 {
			// A line of the other stream in the middle changes nothing.
			if _, s, ok, _ := u.Line(otherStream(t, w)); !ok || s != Stderr {
				t.Fatal("the other stream's line did not pass")
			}
		}
	}
	if err1 != nil || !ok1 || s1 != s2 {
		t.Fatalf("whole: %v, %v, %v; parts: %v, %v", ok1, err1, s1, ok2, s2)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("parts unwrap to %q, the whole line to %q", got, want)
	}
	for _, p := range parsers {
		var r1, r2 Record
		e1 := p.Parse(want, &r1)
		v1 := toView(&r1)
		e2 := p.Clone().Parse(got, &r2)
		if (e1 == nil) != (e2 == nil) || e1 != nil && e1.Error() != e2.Error() {
			t.Fatalf("whole: %v; parts: %v", e1, e2)
		}
		if diff := cmp.Diff(v1, toView(&r2)); diff != "" {
			t.Fatalf("parts parse otherwise than the whole line (-whole +parts):\n%s", diff)
		}
	}
}

func otherStream(t *testing.T, w Wrapper) []byte {
	if w == WrapCRI {
		return []byte("2023-11-14T22:13:20Z stderr F W1114 22:13:20 warning")
	}
	return []byte(dockerLine(t, "warning\n", "stderr"))
}

func fuzzParsers(f *testing.F) []*Parser {
	return []*Parser{mustPreset(f, "ingress-nginx"), mustPreset(f, "combined")}
}

func FuzzUnwrapCRI(f *testing.F) {
	const ts = "2023-11-14T22:13:20.123456789Z "
	f.Add([]byte(ts+"stdout F "+ingressLine+"\n"), []byte(ingressLine), []byte{40, 200})
	f.Add([]byte(ts+"stdout P a\n"+ts+"stderr P b\n"+ts+"stdout F c\njunk\n"+ts+"stderr F d\n"), []byte(ingressRetried), []byte{1, 2, 3})
	f.Add([]byte(ts+"stdout P a\njunk\n"+ts+"stdout F b\n"), []byte(ingressCanary), []byte{100})
	f.Add([]byte(ts+"stdout P \n"+ts+"stdout F\n"+ts+"stdout F:x y\n"+ts+"stdout P"), []byte(ingressDefault), []byte{0, 255})
	f.Add([]byte("2023-11-14T22:13:20Z \n2023-11-14T22:13:20Z stdin F x\n\n"), []byte(ingressNoUpstream), []byte{})
	f.Add([]byte(ts+"stdout F "+combinedLine+"\n"), []byte(combinedLine), []byte{7, 7, 7})
	parsers := fuzzParsers(f)
	f.Fuzz(func(t *testing.T, data, text, cuts []byte) {
		fuzzWrapped(t, WrapCRI, data)
		// The runtime splits lines at newlines: a text has none.
		text = bytes.ReplaceAll(text, []byte{'\n'}, nil)
		whole := append([]byte(ts+"stdout F "), text...)
		var parts [][]byte
		from := 0
		for _, at := range append(splits(text, cuts, false), len(text)) {
			tag := "P "
			if at == len(text) {
				tag = "F "
			}
			parts = append(parts, append([]byte(ts+"stdout "+tag), text[from:at]...))
			from = at
		}
		sameParse(t, WrapCRI, whole, parts, parsers)
	})
}

func FuzzUnwrapDocker(f *testing.F) {
	f.Add([]byte(dockerLine(f, ingressLine+"\n", "stdout")+"\n"), []byte(ingressLine), []byte{40, 200})
	f.Add([]byte(dockerLine(f, "a", "stdout")+"\n"+dockerLine(f, "b", "stderr")+"\n"+dockerLine(f, "c\n", "stdout")+"\n{\"log\":\n"),
		[]byte(ingressRetried), []byte{1, 2, 3})
	f.Add([]byte(`{"log":"x\\n","stream":"stdout","attrs":{"a":["}"]}}`+"\n"+`{"log":"\u00e9\n","stream":"stdout"}`), []byte("é\"\\<&>\u2028"), []byte{1, 2})
	f.Add([]byte("{}\n[]\n\n{\"log\":1}\n"), []byte(ingressNoUpstream), []byte{})
	f.Add([]byte(dockerLine(f, combinedLine+"\n", "stdout")+"\n"), []byte(combinedLine), []byte{7, 7, 7})
	parsers := fuzzParsers(f)
	f.Fuzz(func(t *testing.T, data, text, cuts []byte) {
		fuzzWrapped(t, WrapDocker, data)
		// Docker splits lines at newlines and writes valid UTF-8 (it
		// replaces invalid bytes), so a text has no newline and its parts
		// are cut between runes.
		text = bytes.ToValidUTF8(bytes.ReplaceAll(text, []byte{'\n'}, nil), []byte("\uFFFD"))
		line := func(s []byte, nl bool) []byte {
			if nl {
				s = append(s[:len(s):len(s)], '\n')
			}
			b, err := json.Marshal(map[string]string{"log": string(s), "stream": "stdout", "time": "2023-11-14T22:13:20Z"})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		var parts [][]byte
		from := 0
		for _, at := range append(splits(text, cuts, true), len(text)) {
			parts = append(parts, line(text[from:at], at == len(text)))
			from = at
		}
		whole := line(text, true)
		sameParse(t, WrapDocker, whole, parts, parsers)
		u := NewUnwrapper(WrapDocker)
		if got, _, _, _ := u.Line(whole); !bytes.Equal(got, text) {
			t.Fatalf("unwraps to %q, want %q", got, text)
		}
	})
}
