package logformat

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// got is what unwrapping one physical line gives, for tables.
type got struct {
	Text    string
	Stream  Stream
	OK      bool
	Err     string
	Partial bool // Cut's view: the line leaves its stream open
}

func unwrapAll(u *Unwrapper, lines []string) []got {
	var out []got
	for _, l := range lines {
		text, s, ok, err := u.Line([]byte(l))
		g := got{Text: string(text), Stream: s, OK: ok}
		if err != nil {
			g = got{Err: err.Error()}
		}
		out = append(out, g)
	}
	return out
}

func TestUnwrapCRI(t *testing.T) {
	const ts = "2023-11-14T22:13:20.123456789Z "
	tests := []struct {
		name string
		line string
		want got
	}{
		{"full", ts + "stdout F " + ingressLine, got{Text: ingressLine, OK: true}},
		{"stderr", ts + "stderr F I1114 22:13:20.1 1 main.go:1] hi", got{Text: "I1114 22:13:20.1 1 main.go:1] hi", Stream: Stderr, OK: true}},
		{"offset time", "2023-11-14T23:13:20.5+01:00 stdout F x", got{Text: "x", OK: true}},
		{"whole seconds", "2023-11-14T22:13:20Z stdout F x", got{Text: "x", OK: true}},
		{"more tags", ts + "stdout F:x y", got{Text: "y", OK: true}},
		{"empty text", ts + "stdout F ", got{OK: true}},
		{"empty text, no space", ts + "stdout F", got{OK: true}},
		{"text keeps spaces", ts + "stdout F  a  b ", got{Text: " a  b ", OK: true}},
		{"partial", ts + "stdout P abc", got{}},
		{"empty", "", got{Err: "empty line"}},
		{"plain line", ingressLine, got{Err: "cri: no RFC 3339 time at the start of the line"}},
		{"time only", "2023-11-14T22:13:20Z", got{Err: "cri: no stream field"}},
		{"time and space", "2023-11-14T22:13:20Z ", got{Err: "cri: no stream field"}},
		{"cut time", "2023-11-14T22:1", got{Err: "cri: no RFC 3339 time at the start of the line"}},
		{"date only", "2023-11-14 stdout F x", got{Err: "cri: no RFC 3339 time at the start of the line"}},
		{"bad stream", ts + "stdin F x", got{Err: "cri: stream is not stdout or stderr"}},
		{"stream glued", ts + "stdoutF x", got{Err: "cri: stream is not stdout or stderr"}},
		{"no tag", ts + "stdout", got{Err: "cri: no P or F tag"}},
		{"no tag, space", ts + "stdout ", got{Err: "cri: no P or F tag"}},
		{"bad tag", ts + "stdout X x", got{Err: "cri: no P or F tag"}},
		{"long tag", ts + "stdout Full x", got{Err: "cri: no P or F tag"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUnwrapper(WrapCRI)
			if diff := cmp.Diff([]got{tt.want}, unwrapAll(u, []string{tt.line})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// dockerLine writes text as Docker's json-file driver does, with
// encoding/json (which, like Docker, escapes <, > and &).
func dockerLine(t testing.TB, text, stream string) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Log    string `json:"log"`
		Stream string `json:"stream"`
		Time   string `json:"time"`
	}{text, stream, "2023-11-14T22:13:20.123456789Z"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnwrapDocker(t *testing.T) {
	tests := []struct {
		name string
		line string
		want got
	}{
		{"full", dockerLine(t, ingressLine+"\n", "stdout"), got{Text: ingressLine, OK: true}},
		{"escapes", dockerLine(t, "a\"b\\c\td<&>é\u2028\n", "stdout"), got{Text: "a\"b\\c\td<&>é\u2028", OK: true}},
		{"surrogates", `{"log":"\ud83d\ude00\n","stream":"stdout","time":"x"}`, got{Text: "😀", OK: true}},
		{"stderr", dockerLine(t, "oops\n", "stderr"), got{Text: "oops", Stream: Stderr, OK: true}},
		{"crlf", dockerLine(t, "x\r\n", "stdout"), got{Text: "x\r", OK: true}},
		{"escaped backslash before n", dockerLine(t, `a\n`, "stdout"), got{}},
		{"attrs, other order", `{"stream":"stdout","attrs":{"tag":"a\"}"},"time":"2023-11-14T22:13:20Z","log":"x\n"}`, got{Text: "x", OK: true}},
		{"spaces", ` { "log" : "x\n" , "stream" : "stdout" } `, got{Text: "x", OK: true}},
		{"numbers and arrays skipped", `{"log":"x\n","n":1.5,"a":[1,{"b":"]"}],"z":null,"stream":"stdout"}`, got{Text: "x", OK: true}},
		{"partial", dockerLine(t, "abc", "stdout"), got{}},
		{"empty", "", got{Err: "empty line"}},
		{"plain line", ingressLine, got{Err: "docker: not a JSON object"}},
		{"cut short", `{"log":"x\n","stream":"std`, got{Err: "docker: JSON object cut short"}},
		{"no closing brace", `{"log":"x\n","stream":"stdout"`, got{Err: "docker: JSON object cut short"}},
		{"no log", `{"stream":"stdout","time":"x"}`, got{Err: "docker: no log field"}},
		{"empty object", `{}`, got{Err: "docker: no log field"}},
		{"log not a string", `{"log":42,"stream":"stdout"}`, got{Err: "docker: log is not a string"}},
		{"no stream", `{"log":"x\n","time":"x"}`, got{Err: "docker: no stream field"}},
		{"stream not a string", `{"log":"x\n","stream":1}`, got{Err: "docker: no stream field"}},
		{"bad stream", `{"log":"x\n","stream":"stdin"}`, got{Err: "docker: stream is not stdout or stderr"}},
		{"bad syntax", `{"log" "x\n"}`, got{Err: "docker: bad JSON"}},
		{"bare key", `{log:"x\n"}`, got{Err: "docker: bad JSON"}},
		{"trailing text", `{"log":"x\n","stream":"stdout"} x`, got{Err: "docker: text after the JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := NewUnwrapper(WrapDocker)
			if diff := cmp.Diff([]got{tt.want}, unwrapAll(u, []string{tt.line})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnwrapJoinsParts: partial parts join, in order, to the next full
// part of their stream, across the other stream's lines and malformed
// lines; Reset drops the parts of lines cut off before it.
func TestUnwrapJoinsParts(t *testing.T) {
	cri := func(stream, tag, text string) string {
		return "2023-11-14T22:13:20.1Z " + stream + " " + tag + " " + text
	}
	docker := func(stream, tag, text string) string {
		if tag == "F" {
			text += "\n"
		}
		return dockerLine(t, text, stream)
	}
	for _, tc := range []struct {
		w    Wrapper
		line func(stream, tag, text string) string
		bad  string
	}{{WrapCRI, cri, "garbage"}, {WrapDocker, docker, `{"log":`}} {
		t.Run(tc.w.String(), func(t *testing.T) {
			u := NewUnwrapper(tc.w)
			l := tc.line
			badErr := map[Wrapper]string{WrapCRI: "cri: no RFC 3339 time at the start of the line", WrapDocker: "docker: JSON object cut short"}[tc.w]
			lines := []string{
				l("stdout", "P", "a1 "),
				l("stderr", "P", "e1 "),
				l("stdout", "P", "a2 "),
				tc.bad,
				l("stderr", "F", "e2"),
				l("stdout", "F", "a3"),
				l("stdout", "F", "b"),
				l("stdout", "P", `"q" `),
				l("stdout", "F", ""),
			}
			want := []got{
				{}, {Stream: Stderr}, {},
				{Err: badErr},
				{Text: "e1 e2", Stream: Stderr, OK: true},
				{Text: "a1 a2 a3", OK: true},
				{Text: "b", OK: true},
				{},
				{Text: `"q" `, OK: true},
			}
			if diff := cmp.Diff(want, unwrapAll(u, lines)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if u.Open() != 0 {
				t.Errorf("open streams %b after whole lines", u.Open())
			}

			// A line still open at the end: Flush ends it.
			unwrapAll(u, []string{l("stdout", "P", "x1 "), l("stdout", "P", "x2")})
			if !u.Open().Has(Stdout) || u.Open().Has(Stderr) {
				t.Fatalf("open streams %b, want stdout", u.Open())
			}
			if text, ok := u.Flush(Stdout); !ok || string(text) != "x1 x2" {
				t.Errorf("Flush = %q, %v", text, ok)
			}
			if _, ok := u.Flush(Stdout); ok || u.Open() != 0 {
				t.Error("Flush twice")
			}

			// Reset drops what is open, and the rest of lines cut off before.
			unwrapAll(u, []string{l("stderr", "P", "lost")})
			u.Reset(Streams(0).with(Stdout))
			want = []got{{}, {Text: "c", Stream: Stderr, OK: true}, {}, {Text: "d", OK: true}}
			if diff := cmp.Diff(want, unwrapAll(u, []string{l("stdout", "P", "tail"), l("stderr", "F", "c"), l("stdout", "F", "tail"), l("stdout", "F", "d")})); diff != "" {
				t.Errorf("after Reset (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWrapperNone(t *testing.T) {
	u := NewUnwrapper(WrapNone)
	if diff := cmp.Diff([]got{{Text: "2023-11-14T22:13:20Z stdout P x", OK: true}}, unwrapAll(u, []string{"2023-11-14T22:13:20Z stdout P x"})); diff != "" {
		t.Errorf("WrapNone changed a line (-want +got):\n%s", diff)
	}
	if end, last, open := WrapNone.Cut([]byte("a\nb\nc"), 0); end != 4 || last != 4 || open != 0 {
		t.Errorf("Cut = %d, %d, %b", end, last, open)
	}
}

func TestParseWrapper(t *testing.T) {
	for in, want := range map[string]Wrapper{"": WrapNone, "none": WrapNone, "cri": WrapCRI, "CRI": WrapCRI, "docker": WrapDocker} {
		if w, err := ParseWrapper(in); err != nil || w != want {
			t.Errorf("ParseWrapper(%q) = %v, %v", in, w, err)
		}
		if w, _ := ParseWrapper(want.String()); w != want {
			t.Errorf("%v does not round-trip", want)
		}
	}
	if _, err := ParseWrapper("containerd"); err == nil || err.Error() != `unknown wrapper "containerd": want cri (containerd, CRI-O), docker (json-file) or none` {
		t.Errorf("err = %v", err)
	}
}

// TestCut: a cut falls after a newline where no stream has a line open;
// what is open at the start counts, and a malformed line changes nothing.
func TestCut(t *testing.T) {
	l := func(stream, tag string) string { return "2023-11-14T22:13:20.1Z " + stream + " " + tag + " x\n" }
	tests := []struct {
		name      string
		data      string
		open      Streams
		end, last int
		lastOpen  Streams
	}{
		{"empty", "", 0, 0, 0, 0},
		{"no newline", strings.TrimSuffix(l("stdout", "F"), "\n"), 0, 0, 0, 0},
		{"whole lines", l("stdout", "F") + l("stderr", "F"), 0, 2 * len(l("stdout", "F")), 2 * len(l("stdout", "F")), 0},
		{"last line partial", l("stdout", "F") + l("stdout", "P"), 0, len(l("stdout", "F")), 2 * len(l("stdout", "F")), 1},
		{"last line unfinished", l("stdout", "F") + "2023", 0, len(l("stdout", "F")), len(l("stdout", "F")), 0},
		{"interleaved", l("stdout", "P") + l("stderr", "P") + l("stdout", "F") + l("stderr", "F") + l("stderr", "P"),
			0, 4 * len(l("stdout", "F")), 5 * len(l("stdout", "F")), 2},
		{"open at the start", l("stderr", "F") + l("stdout", "F"), 1, 2 * len(l("stdout", "F")), 2 * len(l("stdout", "F")), 0},
		{"open at the start, still", l("stderr", "F"), 1, 0, len(l("stdout", "F")), 1},
		{"malformed line", l("stdout", "P") + "junk\n" + l("stdout", "F") + "junk\n", 0,
			2*len(l("stdout", "F")) + 10, 2*len(l("stdout", "F")) + 10, 0},
		{"malformed line alone", "junk\n", 0, 5, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, last, open := WrapCRI.Cut([]byte(tt.data), tt.open)
			if end != tt.end || last != tt.last || open != tt.lastOpen {
				t.Errorf("Cut = %d, %d, %b; want %d, %d, %b", end, last, open, tt.end, tt.last, tt.lastOpen)
			}
		})
	}
}

func TestUnwrapZeroAlloc(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Wrapper
		line string
	}{
		{"cri", WrapCRI, "2023-11-14T22:13:20.123456789Z stdout F " + ingressLine},
		{"docker", WrapDocker, dockerLine(t, ingressLine+"\n", "stdout")},
		{"docker unescaped", WrapDocker, dockerLine(t, "plain\n", "stdout")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := NewUnwrapper(tc.w)
			line := []byte(tc.line)
			if text, _, ok, err := u.Line(line); !ok || err != nil || len(text) == 0 {
				t.Fatalf("Line = %q, %v, %v", text, ok, err)
			}
			if allocs := testing.AllocsPerRun(100, func() { _, _, _, _ = u.Line(line) }); allocs != 0 {
				t.Errorf("Line allocates %v times per call, want 0", allocs)
			}
			data := []byte(tc.line + "\n" + tc.line + "\n")
			if allocs := testing.AllocsPerRun(100, func() { tc.w.Cut(data, 0) }); allocs != 0 {
				t.Errorf("Cut allocates %v times per call, want 0", allocs)
			}
		})
	}
}
