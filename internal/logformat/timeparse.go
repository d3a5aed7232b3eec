package logformat

import "time"

// dayCache remembers the start of the last date seen, so that consecutive
// lines from the same day skip the calendar arithmetic.
type dayCache struct {
	key   [11]byte
	n     int // length of the cached key; 0 when empty
	start int64
}

// lookup returns the cached Unix seconds of the date spelled key.
func (c *dayCache) lookup(key []byte) (int64, bool) {
	if c.n != len(key) || c.n == 0 || string(c.key[:c.n]) != string(key) {
		return 0, false
	}
	return c.start, true
}

func (c *dayCache) store(key []byte, start int64) {
	c.n = copy(c.key[:], key)
	c.start = start
}

// parseTimeLocal parses $time_local, "10/Oct/2000:13:55:36 -0700", into Unix
// milliseconds.
func (p *Parser) parseTimeLocal(b []byte) (int64, bool) {
	// Consecutive lines mostly share their second: compare before parsing.
	if p.lastLocal.ok && string(b) == string(p.lastLocal.text[:]) {
		return p.lastLocal.ms, true
	}
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[20] != ' ' {
		return 0, false
	}
	day, ok := p.localDay.lookup(b[:11])
	if !ok {
		month := monthOf(b[3], b[4], b[5])
		if day, ok = dayStart(num(b[7:11]), month, num(b[0:2])); !ok {
			return 0, false
		}
		p.localDay.store(b[:11], day)
	}
	secs, ok := clock(b[12:20])
	if !ok {
		return 0, false
	}
	off, ok := offset(b[21], b[22:24], b[24:26])
	if !ok {
		return 0, false
	}
	ms := (day + secs - off) * 1000
	p.lastLocal.ok = true
	copy(p.lastLocal.text[:], b)
	p.lastLocal.ms = ms
	return ms, true
}

// lastTime remembers the last $time_local parsed.
type lastTime struct {
	text [26]byte
	ms   int64
	ok   bool
}

// parseTimeISO parses $time_iso8601, "2000-10-10T13:55:36-07:00" or
// "2000-10-10T13:55:36Z", optionally with a fraction of a second, into Unix
// milliseconds.
func (p *Parser) parseTimeISO(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') {
		return 0, false
	}
	day, ok := p.isoDay.lookup(b[:10])
	if !ok {
		if day, ok = dayStart(num(b[0:4]), num(b[5:7]), num(b[8:10])); !ok {
			return 0, false
		}
		p.isoDay.store(b[:10], day)
	}
	secs, ok := clock(b[11:19])
	if !ok {
		return 0, false
	}
	rest := b[19:]
	var ms int64
	if rest[0] == '.' {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i <= 3 {
				ms = ms*10 + int64(rest[i]-'0')
			}
		}
		if i == 1 {
			return 0, false
		}
		for d := i; d <= 3; d++ {
			ms *= 10
		}
		rest = rest[i:]
	}
	var off int64
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && rest[3] == ':':
		if off, ok = offset(rest[0], rest[1:3], rest[4:6]); !ok {
			return 0, false
		}
	case len(rest) == 5:
		if off, ok = offset(rest[0], rest[1:3], rest[3:5]); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
	return (day+secs-off)*1000 + ms, true
}

// num parses a short run of decimal digits; -1 if any byte is not a digit.
func num(b []byte) int {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// clock parses "13:55:36" into seconds since midnight.
func clock(b []byte) (int64, bool) {
	if b[2] != ':' || b[5] != ':' {
		return 0, false
	}
	h, m, s := num(b[0:2]), num(b[3:5]), num(b[6:8])
	if h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60 {
		return 0, false
	}
	return int64(h*3600 + m*60 + s), true
}

// offset parses a UTC offset such as "-0700" into seconds east of UTC.
func offset(sign byte, hh, mm []byte) (int64, bool) {
	h, m := num(hh), num(mm)
	if h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	off := int64(h*3600 + m*60)
	switch sign {
	case '+':
		return off, true
	case '-':
		return -off, true
	}
	return 0, false
}

// monthOf returns the month numbered from 1 for an English abbreviation such
// as "Oct", or -1.
func monthOf(a, b, c byte) int {
	key := uint32(a)<<16 | uint32(b)<<8 | uint32(c)
	for i, m := range monthNames {
		if key == uint32(m[0])<<16|uint32(m[1])<<8|uint32(m[2]) {
			return i + 1
		}
	}
	return -1
}

// monthNames are the month abbreviations of $time_local.
var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// dayStart returns the Unix seconds of midnight UTC of a calendar date, and
// false for dates that do not exist.
func dayStart(year, month, day int) (int64, bool) {
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, false
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Unix(), true
}

// daysIn returns the number of days in a month of the Gregorian calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
