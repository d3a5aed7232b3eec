package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-slo/headroom/internal/slo"
)

// The types in this file are values written as text in YAML that read
// themselves when the config is decoded, keep the text to write it back,
// and hand code the parsed value: a compiled regexp, a set of statuses, a
// window, a time zone. Parse is the only place that parses them, so code
// that takes a loaded config neither parses nor handles a parse error.
//
// Text that is of the right kind but does not parse (a regexp with an
// unclosed group) does not fail decoding: the value keeps the error, and
// Validate reports it under the field's path, in order with every other
// problem; Parse then returns no config. Text of the wrong kind (a list
// where a string belongs) is a decode error, as for any other field.

// Duration is a time.Duration written as 300ms, 2.5s, 28d or 2w in YAML.
type Duration time.Duration

// Forever is the retention that keeps data forever.
const Forever Duration = -1

// UnmarshalYAML reads a duration string; "forever" reads as Forever.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Value == "forever" {
		*d = Forever
		return nil
	}
	if n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := slo.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration (like 300ms, 1h, 28d)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) {
	if d == Forever {
		return "forever", nil
	}
	return slo.FormatDuration(time.Duration(d)), nil
}

// ByteSize is a size in bytes written as 1048576, 512KiB, 100MiB, 1GiB or
// 1GB (SI units are powers of 1000, IEC ones of 1024).
type ByteSize int64

var byteUnits = map[string]int64{
	"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
}

// UnmarshalYAML reads a size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	v, err := strconv.ParseFloat(num, 64)
	mul, ok := byteUnits[unit]
	if err != nil || !ok || v <= 0 || v*float64(mul) > 1<<62 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a size (like 1048576, 512MiB, 1GiB)", n.Line, n.Value)}}
	}
	*b = ByteSize(v * float64(mul))
	return nil
}

// MarshalYAML writes the size in bytes.
func (b ByteSize) MarshalYAML() (any, error) { return int64(b), nil }

// StringList accepts a single scalar or a list.
type StringList []string

// UnmarshalYAML reads `GET` and `[GET, POST]` alike.
func (s *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = StringList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*s = l
	return nil
}

// text is a value written as one string: the string as written, what it
// parsed to, and why it did not parse. The empty string is unset: it parses
// to the zero T.
type text[T any] struct {
	src string
	val T
	err error
}

func parseText[T any](src string, parse func(string) (T, error)) text[T] {
	t := text[T]{src: src}
	if src != "" {
		t.val, t.err = parse(src)
	}
	return t
}

// decode reads n as a string, as a plain string field would (a number is
// its digits, a list is a decode error), and parses it.
func (t *text[T]) decode(n *yaml.Node, parse func(string) (T, error)) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*t = parseText(s, parse)
	return nil
}

// String returns the value as written.
func (t text[T]) String() string { return t.src }

// IsZero reports whether the value is unset.
func (t text[T]) IsZero() bool { return t.src == "" }

// MarshalYAML writes the value as written.
func (t text[T]) MarshalYAML() (any, error) { return t.src, nil }

// Regexp is a regular expression (RE2 syntax), compiled when read. The
// zero Regexp is unset.
type Regexp struct{ text[*regexp.Regexp] }

// UnmarshalYAML compiles the pattern.
func (r *Regexp) UnmarshalYAML(n *yaml.Node) error { return r.decode(n, regexp.Compile) }

// Regexp returns the compiled pattern, or nil when unset.
func (r Regexp) Regexp() *regexp.Regexp { return r.val }

// Window is an SLO's window: a duration of at least 1h (28d), week, month,
// quarter or sprint.
type Window struct{ text[slo.Window] }

// UnmarshalYAML parses the window.
func (w *Window) UnmarshalYAML(n *yaml.Node) error { return w.decode(n, slo.ParseWindow) }

// Window returns the parsed window. A sprint window is 14 days from the
// zero time: the caller places it with the config's sprints.
func (w Window) Window() slo.Window { return w.val }

// Location is a time zone named as in the IANA database (Asia/Tokyo),
// loaded when read. Unset, it is UTC.
type Location struct{ text[*time.Location] }

// UnmarshalYAML loads the time zone.
func (l *Location) UnmarshalYAML(n *yaml.Node) error { return l.decode(n, time.LoadLocation) }

// Location returns the time zone: UTC when unset.
func (l Location) Location() *time.Location {
	if l.val == nil {
		return time.UTC
	}
	return l.val
}

// dateLayout is how a Date is written.
const dateLayout = "2006-01-02"

// Date is a calendar day, written as 2025-03-03.
type Date struct{ text[time.Time] }

// NewDate returns the date of year, month and day.
func NewDate(year int, month time.Month, day int) Date {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return Date{text[time.Time]{src: t.Format(dateLayout), val: t}}
}

// UnmarshalYAML parses the date.
func (d *Date) UnmarshalYAML(n *yaml.Node) error { return d.decode(n, parseDate) }

func parseDate(s string) (time.Time, error) { return time.Parse(dateLayout, s) }

// In returns the start of the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.val.Year(), d.val.Month(), d.val.Day(), 0, 0, 0, 0, loc)
}

// StatusSet is a set of HTTP status codes, written as codes (404), classes
// (5xx) and ranges (500-504), one or a list. The zero StatusSet is unset
// and contains nothing.
type StatusSet struct {
	src   StringList
	codes *[1000]bool // nil when unset
	err   error
}

// ParseStatusSet reads codes (404), classes (5xx) and ranges (500-504).
// An empty list gives the unset set.
func ParseStatusSet(l []string) (StatusSet, error) {
	s := parseStatusSet(l)
	return s, s.err
}

func parseStatusSet(l []string) StatusSet {
	s := StatusSet{src: l}
	if len(l) == 0 {
		return s
	}
	s.codes = new([1000]bool)
	var errs []error
	for _, e := range l {
		lo, hi, err := statusRange(strings.TrimSpace(strings.ToLower(e)))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for c := lo; c <= hi; c++ {
			s.codes[c] = true
		}
	}
	s.err = errors.Join(errs...)
	return s
}

func statusRange(e string) (lo, hi int, err error) {
	if len(e) == 3 && e[1:] == "xx" && e[0] >= '1' && e[0] <= '9' {
		lo = int(e[0]-'0') * 100
		return lo, lo + 99, nil
	}
	a, b, isRange := strings.Cut(e, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if isRange {
		hi, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || lo < 100 || hi > 999 || lo > hi {
		return 0, 0, fmt.Errorf("%q: want a status (404), class (5xx) or range (500-504)", e)
	}
	return lo, hi, nil
}

// UnmarshalYAML reads `404`, `5xx` and `[5xx, 429]` alike.
func (s *StatusSet) UnmarshalYAML(n *yaml.Node) error {
	var l StringList
	if err := l.UnmarshalYAML(n); err != nil {
		return err
	}
	*s = parseStatusSet(l)
	return nil
}

// MarshalYAML writes the list as written.
func (s StatusSet) MarshalYAML() (any, error) { return []string(s.src), nil }

// IsZero reports whether the set is unset.
func (s StatusSet) IsZero() bool { return len(s.src) == 0 }

// Contains reports whether code is in the set.
func (s StatusSet) Contains(code int) bool {
	return s.codes != nil && code >= 0 && code < len(s.codes) && s.codes[code]
}
