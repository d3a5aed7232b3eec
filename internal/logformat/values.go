package logformat

import "math"

// Limits that keep number parsing free of overflow.
const (
	maxCountDigits   = 18 // byte counts: below 10^18
	maxSecondsDigits = 10 // durations and $msec: below 10^10 seconds
)

// parseStatus parses a 3-digit HTTP status. nginx logs 000 when no response
// status was set; that yields 0 (missing).
func parseStatus(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n != 0 && n < 100 {
		return 0, false
	}
	return n, true
}

// parseCount parses a non-negative decimal integer into *dst.
func parseCount(b []byte, dst *int64) bool {
	if len(b) == 0 || len(b) > maxCountDigits {
		return false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int64(c-'0')
	}
	*dst = n
	return true
}

// parseFixed parses a non-negative decimal number of seconds, with any
// number of decimals, into units of 10^-scale seconds (truncating).
func parseFixed(b []byte, scale int) (int64, bool) {
	var whole, frac int64
	i, digits := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		whole = whole*10 + int64(b[i]-'0')
		digits++
	}
	if digits == 0 || digits > maxSecondsDigits {
		return 0, false
	}
	used := 0
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if used < scale {
				frac = frac*10 + int64(b[i]-'0')
				used++
			}
		}
		if i == start {
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	for ; used < scale; used++ {
		frac *= 10
	}
	unit := int64(1)
	for range scale {
		unit *= 10
	}
	return whole*unit + frac, true
}

// parseDuration parses seconds such as "0.123" into microseconds.
func parseDuration(b []byte) (int64, bool) {
	// nginx writes times with exactly three decimals: take that shape fast.
	if n := len(b); n >= 5 && n <= 9 && b[n-4] == '.' {
		var whole int64
		for _, c := range b[:n-4] {
			if c < '0' || c > '9' {
				return parseFixed(b, 6)
			}
			whole = whole*10 + int64(c-'0')
		}
		d0, d1, d2 := b[n-3]-'0', b[n-2]-'0', b[n-1]-'0'
		if d0 <= 9 && d1 <= 9 && d2 <= 9 {
			return whole*1_000_000 + int64(d0)*100_000 + int64(d1)*10_000 + int64(d2)*1_000, true
		}
	}
	return parseFixed(b, 6)
}

// parseMsec parses $msec, seconds since the epoch such as "1700000000.123",
// into Unix milliseconds.
func parseMsec(b []byte) (int64, bool) { return parseFixed(b, 3) }

// nextElem returns the list element that starts at or after b[i] (skipping
// the separators ',', ':' and ' ') and the offset after it; elem is empty at
// the end of the list.
func nextElem(b []byte, i int) (elem []byte, next int) {
	for i < len(b) && (b[i] == ',' || b[i] == ':' || b[i] == ' ') {
		i++
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != ':' && b[i] != ' ' {
		i++
	}
	return b[start:i], i
}

// sumDurations parses an upstream list of durations and returns their sum in
// microseconds, ignoring "-" elements; -1 when every element is "-".
func sumDurations(b []byte) (int64, bool) {
	if isSingle(b) {
		if len(b) == 1 && b[0] == '-' {
			return -1, true
		}
		return parseDuration(b)
	}
	total, seen := int64(0), false
	for i := 0; ; {
		elem, next := nextElem(b, i)
		if len(elem) == 0 {
			break
		}
		i = next
		if len(elem) == 1 && elem[0] == '-' {
			continue
		}
		d, ok := parseDuration(elem)
		if !ok || d > math.MaxInt64-total {
			return -1, false
		}
		total, seen = total+d, true
	}
	if !seen {
		return -1, true
	}
	return total, true
}

// isSingle reports whether a list value holds one element (the usual case).
func isSingle(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c == ',' || c == ':' || c == ' ' {
			return false
		}
	}
	return true
}

// lastStatus parses an upstream list of statuses and returns the last one
// that is not "-"; 0 when every element is "-".
func lastStatus(b []byte) (int, bool) {
	last := 0
	for i := 0; ; {
		elem, next := nextElem(b, i)
		if len(elem) == 0 {
			break
		}
		i = next
		if len(elem) == 1 && elem[0] == '-' {
			continue
		}
		s, ok := parseStatus(elem)
		if !ok {
			return 0, false
		}
		last = s
	}
	return last, true
}
