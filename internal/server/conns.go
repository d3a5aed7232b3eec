package server

import (
	"container/list"
	"net"
	"net/http"
	"sync"
)

// Defaults of Options.MaxConns and Options.MaxIdleConns.
const (
	DefaultMaxConns     = 1024
	DefaultMaxIdleConns = 256
)

// connLimit is a listener that bounds the connections it keeps open: at
// most max, of which at most maxIdle wait idle between requests. Quiet
// connections (idle, or opened without a request yet) give way: a
// connection past either bound closes the one quiet the longest. Only
// when every connection is busy with a request is a new one refused
// (closed at once). So clients that open connections and leave them
// open cannot use up the process's file descriptors, and /healthz still
// gets in.
//
// The server's ConnState hook (track) tells it which connections are
// quiet.
type connLimit struct {
	net.Listener
	max, maxIdle int

	mu   sync.Mutex
	open int
	// fresh and idle hold the quiet connections, quiet the longest first:
	// fresh those without a request yet, idle those between requests.
	fresh, idle list.List
	// refused counts connections closed at once, every other one being
	// busy; evicted counts quiet connections closed to make room.
	refused, evicted int64
}

func newConnLimit(ln net.Listener, max, maxIdle int) *connLimit {
	return &connLimit{Listener: ln, max: max, maxIdle: maxIdle}
}

// limitedConn is a connection the limit counts until it is released.
type limitedConn struct {
	net.Conn
	l *connLimit
	// Guarded by l.mu: where the connection waits while quiet (nil while
	// busy), and whether it no longer counts.
	quiet    *list.List
	elem     *list.Element
	released bool
}

// Accept returns the next connection there is room for, closing quiet
// connections to make room and refusing new ones while all are busy.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.open >= l.max && !l.evictLocked(&l.idle) && !l.evictLocked(&l.fresh) {
			l.refused++
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open++
		lc := &limitedConn{Conn: c, l: l}
		lc.wait(&l.fresh)
		l.mu.Unlock()
		return lc, nil
	}
}

// track is the server's ConnState hook.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateActive:
		lc.wait(nil)
	case http.StateIdle:
		lc.wait(&l.idle)
		if l.idle.Len() > l.maxIdle {
			l.evictLocked(&l.idle)
		}
	case http.StateHijacked, http.StateClosed:
		l.releaseLocked(lc)
	}
}

// wait moves the connection to the quiet list q (nil: busy). The caller
// holds l.mu.
func (c *limitedConn) wait(q *list.List) {
	if c.released {
		return
	}
	if c.quiet != nil {
		c.quiet.Remove(c.elem)
		c.quiet, c.elem = nil, nil
	}
	if q != nil {
		c.quiet, c.elem = q, q.PushBack(c)
	}
}

// evictLocked closes the connection quiet the longest in q; false when q
// is empty.
func (l *connLimit) evictLocked(q *list.List) bool {
	e := q.Front()
	if e == nil {
		return false
	}
	c := e.Value.(*limitedConn)
	l.releaseLocked(c)
	l.evicted++
	c.Conn.Close() // the server's reader fails and closes its side
	return true
}

// releaseLocked stops counting the connection.
func (l *connLimit) releaseLocked(c *limitedConn) {
	if c.released {
		return
	}
	c.wait(nil)
	c.released = true
	l.open--
}

// Close closes the connection and stops counting it.
func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	c.l.releaseLocked(c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}

// connStats are the limit's counts, for /metrics.
type connStats struct {
	open, idle       int
	refused, evicted int64
}

func (l *connLimit) stats() connStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return connStats{open: l.open, idle: l.idle.Len(), refused: l.refused, evicted: l.evicted}
}
