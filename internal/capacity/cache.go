package capacity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
)

// ErrUnknownService reports a service the config does not have.
var ErrUnknownService = errors.New("unknown service")

// Cache keeps each service's report for a while: the dashboard asks on
// every refresh (every few seconds), and a report reads weeks of minute
// cells. A report depends on the instant only through its UTC day (it
// reads complete days), so one is kept per service and day, for TTL.
type Cache struct {
	src Source
	cfg *config.Config
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex // held while a report is computed: one at a time
	entries map[cacheKey]cacheEntry
}

type cacheKey struct {
	service string
	day     time.Time
}

type cacheEntry struct {
	r    *Report
	made time.Time
}

// DefaultTTL is how long a cached report is kept by default: data
// imported late for past days shows within it.
const DefaultTTL = 10 * time.Minute

// NewCache returns a cache of the reports of cfg's services over src;
// ttl 0 is DefaultTTL; now is the clock (nil: time.Now).
func NewCache(src Source, cfg *config.Config, ttl time.Duration, now func() time.Time) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{src: src, cfg: cfg, ttl: ttl, now: now, entries: map[cacheKey]cacheEntry{}}
}

// Service returns the report of a service as of at (Service), from the
// cache when one of at's UTC day is younger than the TTL.
func (c *Cache) Service(ctx context.Context, name string, at time.Time) (*Report, error) {
	svc := c.cfg.Service(name)
	if svc == nil {
		return nil, fmt.Errorf("service %q: %w", name, ErrUnknownService)
	}
	k := cacheKey{name, at.UTC().Truncate(24 * time.Hour)}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if e, ok := c.entries[k]; ok && now.Sub(e.made) < c.ttl {
		return e.r, nil
	}
	r, err := Service(ctx, c.src, *svc, at, 0)
	if err != nil {
		return nil, err
	}
	for k2, e := range c.entries { // keep the map small: drop the stale
		if now.Sub(e.made) >= c.ttl {
			delete(c.entries, k2)
		}
	}
	c.entries[k] = cacheEntry{r: r, made: now}
	return r, nil
}
