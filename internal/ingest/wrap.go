package ingest

import (
	"bytes"
	"fmt"

	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/store"
)

// Reading container logs (logs[].wrapper): the runtime writes a line
// longer than its buffer as several physical lines, partial parts then a
// full one. A chunk, and so every offset committed, ends only where no
// stream has a line open (logformat.Wrapper.Cut): a restart, even after
// SIGKILL, reads a line's parts again rather than losing them, and parts
// at the end of a file not yet followed by their full part are left for
// the next read, like an incomplete last line.
//
// Counting: a line counts once, however many parts it has. A stderr line
// (nginx's error log, the controller's own messages) is not an access
// line: it counts as a line and as excluded, never as malformed. A
// physical line that is not what the wrapper says is a malformed line of
// its own, with the wrapper's reason ("cri: no stream field").

// cutPoint is where a buffer may be cut (see logformat.Wrapper.Cut): end
// of its last whole record, end of its last newline, and the streams open
// there.
type cutPoint struct {
	end, last int
	open      logformat.Streams
}

// cutMemo keeps Cut's answer for a buffer of n bytes, so that the reading
// loop and the cut after it scan a chunk once.
type cutMemo struct {
	valid bool
	n     int
	cut   cutPoint
}

// cut returns where buf, read from the carry's start, may be cut.
func (r *run) cut(buf []byte) cutPoint {
	if r.cutMem.valid && r.cutMem.n == len(buf) {
		return r.cutMem.cut
	}
	var c cutPoint
	c.end, c.last, c.open = r.src.Wrap.Cut(buf, r.open)
	r.cutMem = cutMemo{valid: true, n: len(buf), cut: c}
	return c
}

// hasEnd reports whether buf holds the end of a record: a newline, or
// with a wrapper a newline after which no stream has a line open.
func (r *run) hasEnd(buf []byte) bool {
	if r.src.Wrap == logformat.WrapNone {
		return bytes.IndexByte(buf, '\n') >= 0
	}
	return r.cut(buf).end > 0
}

// processWrapped is process for a wrapped log: it unwraps c.data's
// physical lines into records and parses the stdout ones.
func (w *worker) processWrapped(c *chunk) {
	u := w.unwrap
	u.Reset(c.resume)
	data := c.data
	var n int64
	for len(data) > 0 {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		text, s, ok, err := u.Line(l)
		switch {
		case err != nil:
			n++
			w.malformed(c, n, l, err.Error())
		case ok:
			n++
			w.record(c, n, text, s)
		}
	}
	// Lines still open at the end of the chunk.
	for s := range logformat.Stderr + 1 {
		text, ok := u.Flush(s)
		switch {
		case !ok:
		case c.tooLong > 0:
			n++
			w.malformed(c, n, text, fmt.Sprintf("line longer than %d bytes", c.tooLong))
		case c.flush:
			n++
			w.record(c, n, text, s)
		}
	}
	c.lines = n
}

// record counts one unwrapped line of stream s.
func (w *worker) record(c *chunk, n int64, text []byte, s logformat.Stream) {
	if s != logformat.Stdout {
		c.excluded++
		return
	}
	if k := len(text); k > 0 && text[k-1] == '\r' {
		text = text[:k-1]
	}
	if w.banner && bannerLine(text) {
		c.excluded++
		return
	}
	w.line(c, n, text)
}

// bannerLine reports whether a line of ingress-nginx's stdout is a line of
// the banner the controller prints there at each start, before any access
// line:
//
//	-------------------------------------------------------------------------------
//	NGINX Ingress controller
//	  Release:       v1.9.4
//	  Build:         846d251814a09d8a5d8d28e2e604bfc7749bcb49
//	  Repository:    https://github.com/kubernetes/ingress-nginx
//	  nginx version: nginx/1.21.6
//
//	-------------------------------------------------------------------------------
//
// Counted as malformed, it showed 8 malformed lines per pod start; it is
// not an access line, so it counts as excluded, like stderr. Nothing an
// access log format writes looks like these lines.
func bannerLine(l []byte) bool {
	switch {
	case len(bytes.TrimSpace(l)) == 0:
		return true
	case len(l) >= 20 && len(bytes.Trim(l, "-")) == 0:
		return true
	case bytes.Equal(l, []byte("NGINX Ingress controller")):
		return true
	}
	for _, k := range [...]string{"  Release:", "  Build:", "  Repository:", "  nginx version:"} {
		if bytes.HasPrefix(l, []byte(k)) {
			return true
		}
	}
	return false
}

// probeWrapped is probe for a wrapped log: it tries the first stdout
// lines (up to ProbeLines; stderr and banner lines are not tried but are
// numbered)
// and the physical lines that are not what the wrapper says.
func (s *Source) probeWrapped(path string, data []byte, final bool, first int64) *Probe {
	pr := &Probe{Path: path}
	u := s.workers[0].unwrap
	u.Reset(0)
	if end, _, _ := s.Wrap.Cut(data, 0); !final {
		data = data[:end]
	}
	p := s.workers[0].parser
	var rec logformat.Record
	var n int64
	try := func(l []byte, why string) {
		pr.Lines++
		if why == "" {
			if k := len(l); k > 0 && l[k-1] == '\r' {
				l = l[:k-1]
			}
			why = parse(p, l, &rec)
		}
		if why != "" {
			pr.Malformed = append(pr.Malformed, store.MalformedLine{Path: path, Line: first + n, Reason: why, Excerpt: excerpt(l)})
		}
	}
	for len(data) > 0 && pr.Lines < ProbeLines {
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		text, st, ok, err := u.Line(l)
		switch {
		case err != nil:
			n++
			try(l, err.Error())
		case ok:
			n++
			if st == logformat.Stdout && !(s.workers[0].banner && bannerLine(bytes.TrimSuffix(text, []byte("\r")))) {
				try(text, "")
			}
		}
	}
	if text, ok := u.Flush(logformat.Stdout); ok && final && pr.Lines < ProbeLines {
		n++
		try(text, "")
	}
	u.Reset(0)
	return pr
}
