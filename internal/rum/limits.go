package rum

import (
	"hash/maphash"
	"sync"
	"time"
)

// What one beacon and one page view may count. rum.js sends at most 20
// events a beacon, one page view event, one error and one value of each
// vital a page view (a re-reported CLS or INP keeps its id); the limits
// bound what a forged beacon can weigh to what one page view weighs.
const (
	// maxEvents is the most events a beacon may carry.
	maxEvents = 500
	// maxAPIPerView is the most API calls a page view counts; later ones
	// are ignored.
	maxAPIPerView = 1000
	// maxHeld is the most aggregated counts (by minute, dimension and
	// histogram bucket) the collector holds before they are committed:
	// about 30 MiB. It holds more than a flush's worth only while commits
	// fail; past it, beacons are refused with 503 until one succeeds.
	maxHeld = 1 << 18
)

// Events that come before their page view wait for it: a browser sends a
// page's last beacons at once (on pagehide), so the beacon with a page's
// final CLS and LCP can overtake the one with its page view. At most
// maxWaiting page views wait, with maxWaitEvents events each (about 20 MiB
// at worst), for waitFor; past either bound, or when the page view does not
// come, their events are ignored and counted as no_page_view. Forged events
// of page views never seen never count.
const (
	waitFor       = 30 * time.Second
	maxWaiting    = 1 << 13
	maxWaitEvents = 32
)

// How long and how many ids and page views are remembered.
const (
	// idsKeptFor is how long a generation of event ids lasts: an id is
	// remembered for 10 to 20 minutes.
	idsKeptFor = 10 * time.Minute
	maxIDs     = 1 << 18
	// viewsKeptFor is how long a generation of page views lasts: a page
	// view is remembered for 30 to 60 minutes after its last beacon.
	viewsKeptFor = 30 * time.Minute
	maxViews     = 1 << 17
)

// recent remembers a value by key for keep to twice keep after it was last
// put, in two generations of at most max each, so memory stays bounded
// whatever clients send. It keeps a 64-bit hash of each key (8 bytes a slot
// instead of the key's string): two different keys collide with a
// probability of about n/2⁶⁴. It is not safe for concurrent use.
type recent[V any] struct {
	seed      maphash.Seed
	cur, prev map[uint64]V
	max       int
	keep      time.Duration
	rotated   time.Time
}

func newRecent[V any](max int, keep time.Duration) *recent[V] {
	return &recent[V]{seed: maphash.MakeSeed(), cur: map[uint64]V{}, prev: map[uint64]V{}, max: max, keep: keep}
}

// hash is the key a value is kept under.
func (r *recent[V]) hash(key string) uint64 { return maphash.String(r.seed, key) }

// get returns the value kept under h.
func (r *recent[V]) get(h uint64, now time.Time) (V, bool) {
	r.expire(now)
	if v, ok := r.cur[h]; ok {
		return v, true
	}
	v, ok := r.prev[h]
	return v, ok
}

// put keeps v under h in the current generation.
func (r *recent[V]) put(h uint64, v V, now time.Time) {
	r.expire(now)
	if _, ok := r.cur[h]; !ok && len(r.cur) >= r.max {
		r.rotate(now)
	}
	r.cur[h] = v
}

// add keeps h and reports whether it was new.
func (r *recent[V]) add(h uint64, v V, now time.Time) bool {
	if _, ok := r.get(h, now); ok {
		return false
	}
	r.put(h, v, now)
	return true
}

// expire starts a new generation once the current one is keep old.
func (r *recent[V]) expire(now time.Time) {
	if r.rotated.IsZero() {
		r.rotated = now
	}
	if now.Sub(r.rotated) >= r.keep {
		r.rotate(now)
	}
}

func (r *recent[V]) rotate(now time.Time) {
	r.prev, r.cur, r.rotated = r.cur, map[uint64]V{}, now
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
