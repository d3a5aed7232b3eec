package rum

import (
	"hash/maphash"
	"sync"
	"time"
)

// seenIDs remembers event ids for 10 to 20 minutes, in two generations of
// at most max each, so memory stays bounded whatever clients send: a beacon
// repeated within that time counts once. It keeps a 64-bit hash of each id
// (16 bytes a slot instead of the id's string): two different ids collide
// with a probability of about n/2⁶⁴, which would drop one event.
type seenIDs struct {
	mu        sync.Mutex
	seed      maphash.Seed
	cur, prev map[uint64]struct{}
	max       int
	rotated   time.Time
}

// idsKeptFor is how long a generation lasts.
const idsKeptFor = 10 * time.Minute

func newSeenIDs(max int) *seenIDs {
	return &seenIDs{seed: maphash.MakeSeed(), cur: map[uint64]struct{}{}, prev: map[uint64]struct{}{}, max: max}
}

// add records id and reports whether it is new.
func (s *seenIDs) add(id string, now time.Time) bool {
	h := maphash.String(s.seed, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rotated.IsZero() {
		s.rotated = now
	}
	if now.Sub(s.rotated) >= idsKeptFor || len(s.cur) >= s.max {
		s.prev, s.cur, s.rotated = s.cur, map[uint64]struct{}{}, now
	}
	if _, ok := s.cur[h]; ok {
		return false
	}
	if _, ok := s.prev[h]; ok {
		return false
	}
	s.cur[h] = struct{}{}
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
