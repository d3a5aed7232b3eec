package logformat

import (
	"bytes"
	"fmt"
	"strings"
)

// Wrapper is the framing a container runtime puts around each line a
// container writes to stdout or stderr, in the files kubelet links under
// /var/log/containers. The text inside is the line nginx wrote; the Parser
// reads it as it would a plain line.
type Wrapper uint8

const (
	// WrapNone is a plain log: each line is a log line.
	WrapNone Wrapper = iota
	// WrapCRI is the CRI log format of containerd and CRI-O:
	// "<RFC 3339 time> <stdout|stderr> <P|F> <text>". A line longer than
	// the runtime's buffer is written as partial (P) parts followed by a
	// full (F) one, in order, in the same stream.
	WrapCRI
	// WrapDocker is Docker's json-file driver:
	// {"log":"<text>\n","stream":"stdout","time":"<RFC 3339 time>"}. A
	// log without its trailing \n is a partial part of a line longer than
	// Docker's buffer (16 KiB), joined with the next part of its stream.
	WrapDocker
)

// String returns the config spelling of w: "none", "cri" or "docker".
func (w Wrapper) String() string {
	switch w {
	case WrapNone:
		return "none"
	case WrapCRI:
		return "cri"
	case WrapDocker:
		return "docker"
	}
	return fmt.Sprintf("Wrapper(%d)", int(w))
}

// ParseWrapper parses a wrapper name: "" or "none", "cri", "docker".
func ParseWrapper(s string) (Wrapper, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return WrapNone, nil
	case "cri":
		return WrapCRI, nil
	case "docker":
		return WrapDocker, nil
	}
	return WrapNone, fmt.Errorf("unknown wrapper %q: want cri (containerd, CRI-O), docker (json-file) or none", s)
}

// Stream is the output of a container a wrapped line was written to.
type Stream uint8

// The streams of a container.
const (
	Stdout Stream = iota
	Stderr
	numStreams
)

// String returns "stdout" or "stderr".
func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return fmt.Sprintf("Stream(%d)", int(s))
}

// Streams is a set of Streams.
type Streams uint8

// Has reports whether s holds x.
func (s Streams) Has(x Stream) bool { return s&(1<<x) != 0 }

func (s Streams) with(x Stream) Streams    { return s | 1<<x }
func (s Streams) without(x Stream) Streams { return s &^ (1 << x) }

// WrapError reports a line that is not what its wrapper says, e.g. "cri: no
// stream field". The errors are shared values: unwrapping never allocates.
type WrapError struct{ msg string }

// Error returns the message.
func (e *WrapError) Error() string { return e.msg }

// The ways a wrapped line can be malformed.
var (
	errWrapEmpty      = &WrapError{"empty line"}
	errCRITime        = &WrapError{"cri: no RFC 3339 time at the start of the line"}
	errCRIStream      = &WrapError{"cri: no stream field"}
	errCRIStreamName  = &WrapError{"cri: stream is not stdout or stderr"}
	errCRITag         = &WrapError{"cri: no P or F tag"}
	errDockerObject   = &WrapError{"docker: not a JSON object"}
	errDockerSyntax   = &WrapError{"docker: bad JSON"}
	errDockerCut      = &WrapError{"docker: JSON object cut short"}
	errDockerTrailing = &WrapError{"docker: text after the JSON object"}
	errDockerLog      = &WrapError{"docker: no log field"}
	errDockerLogType  = &WrapError{"docker: log is not a string"}
	errDockerStream   = &WrapError{"docker: no stream field"}
	errDockerStreamNm = &WrapError{"docker: stream is not stdout or stderr"}
)

// part is one physical line of a wrapped log, split but not decoded.
type part struct {
	stream  Stream
	partial bool   // the line continues in the stream's next part
	text    []byte // CRI: the text; Docker: the log string as written (JSON escapes), without its \n
	escaped bool   // text holds a backslash (Docker): it needs decoding
}

// split parses the framing of one physical line, without its newline.
func (w Wrapper) split(line []byte) (part, *WrapError) {
	if len(line) == 0 {
		return part{}, errWrapEmpty
	}
	if w == WrapDocker {
		return splitDocker(line)
	}
	return splitCRI(line)
}

// splitCRI splits "<time> <stream> <tag> <text>". The tag is P or F,
// possibly followed by more tags after ':' (the CRI format reserves them);
// the text may be empty, with or without the space before it.
func splitCRI(line []byte) (part, *WrapError) {
	if !criTime(line) {
		return part{}, errCRITime
	}
	// The time's fraction and zone, then the stream.
	i := len(criLayout)
	for i < len(line) && line[i] != ' ' {
		i++
	}
	if i+1 >= len(line) {
		return part{}, errCRIStream
	}
	rest := line[i+1:]
	var p part
	switch {
	case hasPrefix(rest, []byte("stdout")):
		p.stream = Stdout
	case hasPrefix(rest, []byte("stderr")):
		p.stream = Stderr
	default:
		return part{}, errCRIStreamName
	}
	rest = rest[len("stdout"):]
	if len(rest) == 0 {
		return part{}, errCRITag
	}
	if rest[0] != ' ' {
		return part{}, errCRIStreamName
	}
	if len(rest) < 2 || rest[1] != 'P' && rest[1] != 'F' {
		return part{}, errCRITag
	}
	p.partial = rest[1] == 'P'
	switch rest = rest[2:]; {
	case len(rest) == 0:
	case rest[0] == ' ':
		p.text = rest[1:]
	case rest[0] == ':':
		if sp := bytes.IndexByte(rest, ' '); sp >= 0 {
			p.text = rest[sp+1:]
		}
	default:
		return part{}, errCRITag
	}
	return p, nil
}

// criLayout is the start of an RFC 3339 time: 0 stands for a digit.
const criLayout = "0000-00-00T00:00:00"

// criTime reports whether line starts with the date and time of an RFC 3339
// time followed by more of it (a fraction or a zone): the runtime's time,
// which is checked but not used.
func criTime(line []byte) bool {
	if len(line) <= len(criLayout) {
		return false
	}
	_ = line[len(criLayout)]
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if line[i]-'0' > 9 {
			return false
		}
	}
	return line[4] == '-' && line[7] == '-' && (line[10] == 'T' || line[10] == 't') &&
		line[13] == ':' && line[16] == ':' && line[len(criLayout)] != ' '
}

// splitDocker splits a json-file line: a JSON object with a "log" string
// and a "stream" string, in any order, other keys ("time", "attrs") skipped.
func splitDocker(line []byte) (part, *WrapError) {
	i := skipJSONSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return part{}, errDockerObject
	}
	var p part
	var haveLog, haveStream bool
	i = skipJSONSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return part{}, errDockerLog
	}
	for {
		i = skipJSONSpace(line, i)
		if i >= len(line) {
			return part{}, errDockerCut
		}
		if line[i] != '"' {
			return part{}, errDockerSyntax
		}
		end := jsonStringEnd(line, i+1)
		if end < 0 {
			return part{}, errDockerCut
		}
		key := line[i+1 : end]
		if i = skipJSONSpace(line, end+1); i >= len(line) {
			return part{}, errDockerCut
		}
		if line[i] != ':' {
			return part{}, errDockerSyntax
		}
		if i = skipJSONSpace(line, i+1); i >= len(line) {
			return part{}, errDockerCut
		}
		switch {
		case string(key) == "log":
			if line[i] != '"' {
				return part{}, errDockerLogType
			}
			end := jsonStringEnd(line, i+1)
			if end < 0 {
				return part{}, errDockerCut
			}
			p.text, p.partial = dockerText(line[i+1 : end])
			p.escaped = bytes.IndexByte(p.text, '\\') >= 0
			haveLog = true
			i = end + 1
		case string(key) == "stream" && line[i] == '"':
			end := jsonStringEnd(line, i+1)
			if end < 0 {
				return part{}, errDockerCut
			}
			switch string(line[i+1 : end]) {
			case "stdout":
				p.stream = Stdout
			case "stderr":
				p.stream = Stderr
			default:
				return part{}, errDockerStreamNm
			}
			haveStream = true
			i = end + 1
		default:
			n, err := jsonValueEnd(line, i)
			if err != nil {
				return part{}, err
			}
			i = n
		}
		if i = skipJSONSpace(line, i); i >= len(line) {
			return part{}, errDockerCut
		}
		if line[i] == ',' {
			i++
			continue
		}
		if line[i] != '}' {
			return part{}, errDockerSyntax
		}
		if skipJSONSpace(line, i+1) != len(line) {
			return part{}, errDockerTrailing
		}
		break
	}
	switch {
	case !haveLog:
		return part{}, errDockerLog
	case !haveStream:
		return part{}, errDockerStream
	}
	return p, nil
}

// dockerText returns the log string s, as written, without the \n escape
// that ends a whole line; partial is true when there is none.
func dockerText(s []byte) (text []byte, partial bool) {
	n := len(s)
	if n >= 2 && s[n-2] == '\\' && s[n-1] == 'n' && !escaped(s, n-2) {
		return s[:n-2], false
	}
	return s, true
}

// jsonValueEnd returns the offset after the JSON value that starts at b[i]
// (which is not a space): a string, an object, an array or a bare word.
func jsonValueEnd(b []byte, i int) (int, *WrapError) {
	switch b[i] {
	case '"':
		end := jsonStringEnd(b, i+1)
		if end < 0 {
			return 0, errDockerCut
		}
		return end + 1, nil
	case '{', '[':
		end := compositeEnd(b, i)
		if end < 0 {
			return 0, errDockerCut
		}
		return end, nil
	}
	n := bareLen(b[i:])
	if n == 0 {
		return 0, errDockerSyntax
	}
	return i + n, nil
}

// Cut returns the length of the longest start of data made of whole
// records: it ends at a newline after which no stream has a line open (P
// parts seen without their F). open are the streams with a line open at
// data's start, whose parts were cut off before it; 0 normally. Cut also
// returns the end of data's last newline and the streams open there. A
// malformed line is a record of its own and leaves the streams as they are.
// With WrapNone every newline ends a record.
//
// An offset a reader commits must be a record boundary, so that a restart
// never resumes between the parts of one line: Cut finds them without
// decoding anything.
func (w Wrapper) Cut(data []byte, open Streams) (end, last int, lastOpen Streams) {
	if w == WrapNone {
		end = bytes.LastIndexByte(data, '\n') + 1
		return end, end, 0
	}
	for pos := 0; pos < len(data); {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			break
		}
		p, err := w.split(data[pos : pos+i])
		pos += i + 1
		if err == nil {
			if p.partial {
				open = open.with(p.stream)
			} else {
				open = open.without(p.stream)
			}
		}
		if last = pos; open == 0 {
			end = pos
		}
	}
	return end, last, open
}

// Unwrapper turns the physical lines of a wrapped log, fed in order, into
// the lines the container wrote: it joins the partial parts of a line to
// its full one, per stream, and decodes Docker's JSON strings. It keeps the
// open lines' parts in buffers it reuses, so that a line without parts,
// the common case, costs no allocation. An Unwrapper must not be used by
// several goroutines at once.
type Unwrapper struct {
	w    Wrapper
	open Streams // streams with parts in buf
	skip Streams // streams whose open line started before the data: dropped
	buf  [numStreams][]byte
}

// NewUnwrapper returns an Unwrapper of lines wrapped by w. With WrapNone
// every line is a whole stdout line as it is.
func NewUnwrapper(w Wrapper) *Unwrapper { return &Unwrapper{w: w} }

// Wrapper returns what u unwraps.
func (u *Unwrapper) Wrapper() Wrapper { return u.w }

// Reset forgets the parts u holds, for reading from another record
// boundary. The lines of the streams in skip were cut off before it (see
// Cut): their parts up to their stream's next full part are dropped.
func (u *Unwrapper) Reset(skip Streams) {
	u.open, u.skip = 0, skip
	for i := range u.buf {
		u.buf[i] = u.buf[i][:0]
	}
}

// Line takes the next physical line, without its newline. When it ends a
// log line, Line returns that line's text and stream and ok; when it is a
// partial part, or a part of a line cut off before the data, ok is false.
// A line that is not what the wrapper says yields a *WrapError and is a
// record of its own: the open lines of the streams stay open. text aliases
// line or u's buffers and is valid until the next call.
func (u *Unwrapper) Line(line []byte) (text []byte, s Stream, ok bool, err error) {
	if u.w == WrapNone {
		return line, Stdout, true, nil
	}
	p, werr := u.w.split(line)
	if werr != nil {
		return nil, 0, false, werr
	}
	s = p.stream
	switch {
	case u.skip.Has(s):
		if !p.partial {
			u.skip = u.skip.without(s)
		}
		return nil, s, false, nil
	case p.partial:
		u.buf[s] = u.appendText(u.buf[s][:u.len(s)], p)
		u.open = u.open.with(s)
		return nil, s, false, nil
	case u.open.Has(s):
		u.buf[s] = u.appendText(u.buf[s], p)
		u.open = u.open.without(s)
		return u.buf[s], s, true, nil
	case p.escaped:
		u.buf[s] = u.appendText(u.buf[s][:0], p)
		return u.buf[s], s, true, nil
	}
	return p.text, s, true, nil
}

// len returns the length of the parts of s's open line.
func (u *Unwrapper) len(s Stream) int {
	if u.open.Has(s) {
		return len(u.buf[s])
	}
	return 0
}

// appendText appends the text of p to dst, decoded.
func (u *Unwrapper) appendText(dst []byte, p part) []byte {
	if p.escaped {
		return appendUnescapedJSON(dst, p.text)
	}
	return append(dst, p.text...)
}

// Open returns the streams whose line has parts waiting for their full
// part (lines cut off before the data, being dropped, aside).
func (u *Unwrapper) Open() Streams { return u.open }

// Flush ends the open line of s as it is, at the end of a complete stream
// (a .gz file, a pipe): its text, and false when s has none open.
func (u *Unwrapper) Flush(s Stream) ([]byte, bool) {
	if !u.open.Has(s) {
		return nil, false
	}
	u.open = u.open.without(s)
	return u.buf[s], true
}
