package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/slo"
	"github.com/headroom-slo/headroom/internal/store"
)

// ProbeLines is how many complete lines at the start of a file decide
// whether its format fits (fewer when the file, or the first ChunkSize
// bytes of it, holds fewer): when more than half of them are malformed,
// the file is refused whole. A few malformed lines among good ones are
// counted and sampled as usual.
const ProbeLines = 100

// Probe is what the first lines of a file say about its format.
type Probe struct {
	Path  string
	Lines int // complete lines tried
	// Malformed are the lines tried that do not fit the format.
	Malformed []store.MalformedLine
}

// Refused reports whether the file is refused: more than half of the lines
// tried are malformed.
func (p *Probe) Refused() bool { return 2*len(p.Malformed) > p.Lines }

// FormatError reports a file refused because its first lines do not fit
// its format: nothing read from it is stored and its read position stays at
// its start, so that once the format is fixed the file imports anew.
type FormatError struct{ Probe }

// Error says how many lines failed and why the first one did; callers
// name the file.
func (e *FormatError) Error() string {
	m := e.Malformed[0]
	return fmt.Sprintf("refused, nothing imported: %d of its first %d lines do not fit the format; line %d: %s: %q",
		len(e.Malformed), e.Lines, m.Line, m.Reason, m.Excerpt)
}

// parse parses line l into r and returns why the line is malformed, or "".
func parse(p *logformat.Parser, l []byte, r *logformat.Record) string {
	if len(l) == 0 {
		return "empty line"
	}
	if err := p.Parse(l, r); err != nil {
		return err.Error()
	}
	if r.Time == 0 {
		return "no time"
	}
	if !slo.InTimeRangeMilli(r.Time) {
		return "time out of range (" + time.UnixMilli(r.Time).UTC().Format(time.RFC3339) + ", want " + slo.TimeRange + ")"
	}
	return ""
}

// probe tries the complete lines at the start of data (up to ProbeLines; a
// last line without a newline counts when final) as a run parses them.
// Line numbers start after first. The caller holds s.mu.
func (s *Source) probe(path string, data []byte, final bool, first int64) *Probe {
	if s.Wrap != logformat.WrapNone {
		return s.probeWrapped(path, data, final, first)
	}
	pr := &Probe{Path: path}
	p := s.workers[0].parser
	var rec logformat.Record
	for len(data) > 0 && pr.Lines < ProbeLines {
		i := bytes.IndexByte(data, '\n')
		if i < 0 && !final {
			break
		}
		l := data
		if i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		pr.Lines++
		l = bytes.TrimSuffix(l, []byte{'\r'})
		if why := parse(p, l, &rec); why != "" {
			pr.Malformed = append(pr.Malformed, store.MalformedLine{Path: path, Line: first + int64(pr.Lines), Reason: why, Excerpt: excerpt(l)})
		}
	}
	return pr
}

// readHead reads the first size bytes of r (fewer at its end); eof says r
// has nothing more.
func readHead(r io.Reader, size int) (head []byte, eof bool, err error) {
	head = make([]byte, size)
	n, err := io.ReadFull(r, head)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return head[:n], true, nil
	}
	return head[:n], false, err
}

// ProbeFile tries the format of s on the first lines of the file at path,
// as an import would before reading it (see ProbeLines). A file whose first
// line is incomplete returns ErrNotReady.
func (s *Source) ProbeFile(path string) (*Probe, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.SeekContent(0); err != nil {
		return nil, err
	}
	head, eof, err := readHead(f, ChunkSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.probe(path, head, eof && f.Gzip, 0), nil
}
