package slo

import "time"

// The times headroom works with: a log line's time, a beacon's, a sprint
// date. Outside [MinTime, MaxTime) a log line is malformed ("time out of
// range") and a --sprint date is a usage error. Within it, the difference of
// any two times fits a time.Duration (229 years, under its 292), minutes
// since the epoch fit an int32 and milliseconds an int64, so no time
// arithmetic overflows.
const (
	MinTimeUnix int64 = 31536000   // 1971-01-01T00:00:00Z
	MaxTimeUnix int64 = 7258118400 // 2200-01-01T00:00:00Z
)

// TimeRange spells [MinTime, MaxTime) for messages.
const TimeRange = "1971-01-01 .. 2199-12-31 UTC"

// InTimeRange reports whether t lies in [MinTime, MaxTime).
func InTimeRange(t time.Time) bool {
	s := t.Unix()
	return s >= MinTimeUnix && s < MaxTimeUnix
}

// InTimeRangeMilli is InTimeRange for Unix milliseconds.
func InTimeRangeMilli(ms int64) bool {
	return ms >= MinTimeUnix*1000 && ms < MaxTimeUnix*1000
}
