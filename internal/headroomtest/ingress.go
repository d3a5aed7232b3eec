package headroomtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// IngressLog writes access lines as the ingress-nginx controller logs them
// by default (the ingress-nginx preset), for one controller serving several
// services, and counts what it wrote by itself: requests by upstream and
// "METHOD route status", lines, malformed lines. With CRI set each line is
// wrapped as containerd writes a container's stdout (wrapper: cri).
type IngressLog struct {
	// Start is the time of the first line (default 2026-11-20T10:00:00Z);
	// each line is a second after the one before.
	Start time.Time
	CRI   bool

	b strings.Builder
	n int
	// Requests counts the requests written, by upstream ("" when nginx
	// answered itself) and "METHOD route status".
	Requests  map[string]map[string]uint64
	Lines     int64
	Malformed int64
}

// Request writes a request to upstream. route is the route template the
// request's path has: each ":id" in it is written as a number.
func (g *IngressLog) Request(upstream, method, route string, status int) {
	if g.Requests == nil {
		g.Requests = map[string]map[string]uint64{}
	}
	if g.Requests[upstream] == nil {
		g.Requests[upstream] = map[string]uint64{}
	}
	g.Requests[upstream][fmt.Sprintf("%s %s %d", method, route, status)]++
	path := strings.ReplaceAll(route, ":id", strconv.Itoa(1000+g.n))
	addr, upTime, upStatus := "-", "-", "-"
	if upstream != "" {
		addr, upTime, upStatus = fmt.Sprintf("10.244.0.%d:8080", g.n%250), "0.011", strconv.Itoa(status)
	}
	g.line(fmt.Sprintf(`10.0.0.%d - - [%s] "%s %s HTTP/1.1" %d 612 "-" "Mozilla/5.0" 389 0.012 [%s] [] %s 612 %s %s %032x`,
		g.n%250, g.now().Format("02/Jan/2006:15:04:05 -0700"), method, path, status, upstream, addr, upTime, upStatus, g.n))
}

// Garbage writes a line that does not fit the format.
func (g *IngressLog) Garbage() {
	g.line(fmt.Sprintf("I1120 10:00:00.%06d       7 controller.go:190] reload", g.n))
	g.Malformed++
}

// String is what was written.
func (g *IngressLog) String() string { return g.b.String() }

// Take returns what was written since the last Take (or the start) and
// forgets it; the counts go on.
func (g *IngressLog) Take() string {
	s := g.b.String()
	g.b.Reset()
	return s
}

// Total is the number of requests written to the upstreams for which keep
// is true.
func (g *IngressLog) Total(keep func(upstream string) bool) uint64 {
	var n uint64
	for up, byKey := range g.Requests {
		if keep(up) {
			for _, c := range byKey {
				n += c
			}
		}
	}
	return n
}

// Of returns the requests written to the upstreams for which keep is true,
// by "METHOD route status".
func (g *IngressLog) Of(keep func(upstream string) bool) map[string]uint64 {
	out := map[string]uint64{}
	for up, byKey := range g.Requests {
		if keep(up) {
			for k, c := range byKey {
				out[k] += c
			}
		}
	}
	return out
}

func (g *IngressLog) now() time.Time {
	start := g.Start
	if start.IsZero() {
		start = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	}
	return start.Add(time.Duration(g.n) * time.Second)
}

func (g *IngressLog) line(text string) {
	if g.CRI {
		fmt.Fprintf(&g.b, "%s stdout F ", g.now().Format(time.RFC3339Nano))
	}
	g.b.WriteString(text)
	g.b.WriteByte('\n')
	g.n++
	g.Lines++
}
