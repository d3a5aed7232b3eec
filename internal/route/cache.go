package route

// CacheValue is what a [Cache] remembers for a path.
type CacheValue struct {
	ID       uint32 // route id in the service's Registry
	Excluded bool   // the request is excluded from SLIs (decided by the caller)
}

// Cache memoises path → (route id, excluded) for one goroutine (not safe for
// concurrent use), bounded to n entries (cleared when full).
//
// The key is the raw path exactly as passed, so callers that want hits across
// query strings should pass the path without its query. A Cache belongs to
// one service, like the Registry its ids come from. See [Registry] about not
// memoising results mapped to Other.
type Cache struct {
	n int
	m map[string]CacheValue
}

// NewCache returns a Cache holding at most n entries; with n <= 0 it holds
// none.
func NewCache(n int) *Cache {
	n = max(n, 0)
	return &Cache{n: n, m: make(map[string]CacheValue, min(n, 1024))}
}

// Get returns the value stored for path. It does not allocate.
func (c *Cache) Get(path []byte) (v CacheValue, ok bool) {
	v, ok = c.m[string(path)]
	return v, ok
}

// Put stores v for path, first clearing the whole cache when it is full and
// path is not in it. It copies path.
func (c *Cache) Put(path []byte, v CacheValue) {
	if c.n == 0 {
		return
	}
	if _, ok := c.m[string(path)]; ok {
		c.m[string(path)] = v
		return
	}
	if len(c.m) >= c.n {
		clear(c.m)
	}
	c.m[string(path)] = v
}

// Len returns the number of entries held.
func (c *Cache) Len() int { return len(c.m) }
