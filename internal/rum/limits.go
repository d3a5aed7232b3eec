package rum

import (
	"sync"
	"time"
)

// seenIDs remembers event ids for 10 to 20 minutes, in two generations of
// at most max each, so memory stays bounded whatever clients send: a beacon
// repeated within that time counts once.
type seenIDs struct {
	mu        sync.Mutex
	cur, prev map[string]struct{}
	max       int
	rotated   time.Time
}

// idsKeptFor is how long a generation lasts.
const idsKeptFor = 10 * time.Minute

func newSeenIDs(max int) *seenIDs {
	return &seenIDs{cur: map[string]struct{}{}, prev: map[string]struct{}{}, max: max}
}

// add records id and reports whether it is new.
func (s *seenIDs) add(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rotated.IsZero() {
		s.rotated = now
	}
	if now.Sub(s.rotated) >= idsKeptFor || len(s.cur) >= s.max {
		s.prev, s.cur, s.rotated = s.cur, make(map[string]struct{}, len(s.cur)), now
	}
	if _, ok := s.cur[id]; ok {
		return false
	}
	if _, ok := s.prev[id]; ok {
		return false
	}
	s.cur[id] = struct{}{}
	return true
}

// limiter is a token bucket per client (IP address), bounded in clients:
// past max it starts afresh (every client gets a full bucket).
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	max     int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(max int) *limiter { return &limiter{buckets: map[string]*bucket{}, max: max} }

// allow takes a token from client's bucket, refilled at rate a second up to
// twice the rate.
func (l *limiter) allow(client string, rate float64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= l.max {
			clear(l.buckets)
		}
		b = &bucket{tokens: 2 * rate, at: now}
		l.buckets[client] = b
	}
	b.tokens = min(2*rate, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
