// Package ingest turns access-log bytes into minute cells: it splits a stream
// into chunks of whole lines, parses and classifies them on every core
// (route template, host, method, status, latency bucket, exclusions) into
// per-worker aggregates, and commits the aggregates together with the
// stream's new read offset, so every line counts exactly once.
package ingest

import (
	"context"
	"regexp"
	"slices"
	"sync"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/route"
	"github.com/headroom-slo/headroom/internal/store"
)

// Service is the classification state of one service, shared by its workers.
type Service struct {
	Name      string
	templater *route.Templater
	routes    *route.Registry
	hosts     *route.Registry
	layout    *cells.Layout
	excludes  []exclude
	upstream  bool // latency from $upstream_response_time instead of $request_time
	// routeOnly is true when every exclusion rule only looks at the route,
	// so the route cache can hold the whole decision.
	routeOnly bool
	rules     bool // user route rules: a path may not be its own template
	// match takes only the lines it accepts (services[].match): regexps
	// on the upstream, the host (lower-cased) and the route template; nil
	// each when not given.
	matchUpstream, matchHost, matchRoute *regexp.Regexp

	dimMu sync.Mutex
	dims  map[dimKey]uint32 // store dimension ids
}

type exclude struct {
	route, userAgent, host *regexp.Regexp
	methods                map[string]bool
	status                 *config.StatusSet
}

// RouteSource gives the routes and hosts already stored, so a restarted
// process keeps admitting the same ones under the cardinality caps.
type RouteSource interface {
	ServiceID(ctx context.Context, name string, create bool) (int64, error)
	Dims(ctx context.Context, serviceID int64) ([]store.DimValue, error)
}

// NewService prepares a service of cfg for ingestion; known supplies the
// routes and hosts stored so far (nil for none).
func NewService(ctx context.Context, cfg *config.Config, svc *config.Service, known RouteSource) (*Service, error) {
	var routes, hosts []string
	if known != nil {
		id, err := known.ServiceID(ctx, svc.Name, false)
		if err != nil {
			return nil, err
		}
		if id != 0 {
			dims, err := known.Dims(ctx, id)
			if err != nil {
				return nil, err
			}
			seenR, seenH := map[string]bool{route.Other: true}, map[string]bool{route.Other: true}
			for _, d := range dims {
				if d.Route != "" && !seenR[d.Route] {
					seenR[d.Route] = true
					routes = append(routes, d.Route)
				}
				if d.Host != "" && !seenH[d.Host] {
					seenH[d.Host] = true
					hosts = append(hosts, d.Host)
				}
			}
		}
	}
	rules := make([]route.Rule, len(svc.Routes))
	for i, r := range svc.Routes {
		rules[i] = route.Rule{Match: r.Match.Regexp(), Template: r.Template}
	}
	s := &Service{
		Name:      svc.Name,
		templater: route.NewTemplater(rules),
		routes:    route.NewRegistry(svc.MaxRoutes, routes),
		hosts:     route.NewRegistry(svc.MaxHosts, hosts),
		layout:    cells.NewLayout(cfg.LatencyThresholdsMs(svc.Name)...),
		upstream:  svc.Latency == "upstream_response_time",
		routeOnly: true,
		rules:     len(rules) > 0,
		dims:      map[dimKey]uint32{},
	}
	if m := svc.Match; m != nil {
		s.matchUpstream, s.matchHost, s.matchRoute = m.Upstream.Regexp(), m.Host.Regexp(), m.Route.Regexp()
	}
	for _, e := range svc.Exclude {
		x := exclude{route: e.Route.Regexp(), userAgent: e.UserAgent.Regexp(), host: e.Host.Regexp()}
		if len(e.Method) > 0 {
			x.methods = map[string]bool{}
			for _, m := range e.Method {
				x.methods[m] = true
			}
		}
		if !e.Status.IsZero() {
			x.status = &e.Status
		}
		if x.userAgent != nil || x.host != nil || x.methods != nil || x.status != nil {
			s.routeOnly = false
		}
		s.excludes = append(s.excludes, x)
	}
	return s, nil
}

// needs lists the log variables classification uses, so parsers can skip
// decoding the others.
func (s *Service) needs() []logformat.Var {
	v := []logformat.Var{
		logformat.VarTimeLocal, logformat.VarTimeISO8601, logformat.VarMsec,
		logformat.VarRequest, logformat.VarRequestMethod, logformat.VarRequestURI, logformat.VarURI,
		logformat.VarStatus, logformat.VarHost, logformat.VarHTTPHost, logformat.VarServerName,
	}
	if s.upstream {
		v = append(v, logformat.VarUpstreamResponseTime)
	} else {
		v = append(v, logformat.VarRequestTime)
	}
	for _, x := range s.excludes {
		if x.userAgent != nil {
			v = append(v, logformat.VarHTTPUserAgent)
			break
		}
	}
	if s.matchUpstream != nil {
		v = append(v, logformat.VarProxyUpstreamName)
	}
	return v
}

// DimStore gives dimensions their store ids.
type DimStore interface {
	EnsureDims(ctx context.Context, service string, dims []store.DimValue) ([]uint32, error)
}

// flush adds the aggregates taken from workers to b, giving their
// dimensions store ids.
func (s *Service) flush(ctx context.Context, st DimStore, parts []minutes, b *store.Batch) error {
	s.dimMu.Lock()
	defer s.dimMu.Unlock()
	missing := map[dimKey]bool{}
	for _, m := range parts {
		m.dimKeys(s.dims, missing)
	}
	if len(missing) > 0 {
		keys := make([]dimKey, 0, len(missing))
		vals := make([]store.DimValue, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
			vals = append(vals, store.DimValue{
				Host: s.hosts.Name(k.host()), Route: s.routes.Name(k.route()), Method: methodNames[k.method()], Status: k.status(),
			})
		}
		ids, err := st.EnsureDims(ctx, s.Name, vals)
		if err != nil {
			return err
		}
		for i, k := range keys {
			s.dims[k] = ids[i]
		}
	}
	// Build each minute's cell in dimension order, merging the workers'
	// entries. Dimension ids are small and dense: a position index and a sort
	// of the ids is much cheaper than sorting the entries.
	byMinute := map[int32][]*minuteAgg{}
	for _, m := range parts {
		for minute, ma := range m {
			ma.hists()
			byMinute[minute] = append(byMinute[minute], ma)
		}
	}
	var pos []int32 // dimension id → position in entries + 1
	var ids []uint32
	for minute, aggs := range byMinute {
		var entries []cells.Entry
		ids = ids[:0]
		for _, ma := range aggs {
			for i := range ma.entries {
				e := &ma.entries[i]
				id := s.dims[e.key]
				if int(id) >= len(pos) {
					pos = append(pos, make([]int32, int(id)+1-len(pos)+len(pos)/2)...)
				}
				if p := pos[id]; p > 0 {
					entries[p-1].Count += e.count
					entries[p-1].Hist.Merge(e.hist) // both belong to this batch now
					continue
				}
				entries = append(entries, cells.Entry{Dim: id, Count: e.count, Hist: e.hist})
				pos[id] = int32(len(entries))
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		c := b.Cell(s.Name, int64(minute)*60)
		for _, id := range ids {
			c.Entries = append(c.Entries, entries[pos[id]-1])
			pos[id] = 0
		}
	}
	return nil
}

// excludedByRoute reports whether a route-only rule excludes a route template.
func (s *Service) excludedByRoute(path []byte) bool {
	for _, x := range s.excludes {
		if x.route != nil && x.userAgent == nil && x.host == nil && x.methods == nil && x.status == nil && x.route.Match(path) {
			return true
		}
	}
	return false
}

// agentMatches returns the set of rules (bit i for rule i) whose user_agent
// regexp matches ua.
func (s *Service) agentMatches(ua []byte) uint64 {
	var m uint64
	for i, x := range s.excludes {
		if x.userAgent != nil && i < 64 && x.userAgent.Match(ua) {
			m |= 1 << i
		}
	}
	return m
}

// excludedByOther evaluates the rules that look at more than the route;
// agents is agentMatches of the request's user agent.
func (s *Service) excludedByOther(route []byte, agents uint64, host []byte, method string, status int) bool {
	for i, x := range s.excludes {
		if x.userAgent == nil && x.host == nil && x.methods == nil && x.status == nil {
			continue // route-only: decided by the route cache
		}
		if x.route != nil && !x.route.Match(route) {
			continue
		}
		if x.userAgent != nil && agents&(1<<i) == 0 {
			continue
		}
		if x.host != nil && !x.host.Match(host) {
			continue
		}
		if x.methods != nil && !x.methods[method] {
			continue
		}
		if x.status != nil && !x.status.Contains(status) {
			continue
		}
		return true
	}
	return false
}

// Methods are the request methods kept as they are; others count as OTHER,
// requests without a method (junk, TLS handshakes) as "-".
var methodNames = [...]string{"-", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER"}

func methodCode(m []byte) uint8 {
	switch len(m) {
	case 0:
		return 0
	case 3:
		if string(m) == "GET" {
			return 1
		}
		if string(m) == "PUT" {
			return 4
		}
	case 4:
		if string(m) == "HEAD" {
			return 2
		}
		if string(m) == "POST" {
			return 3
		}
	case 5:
		if string(m) == "PATCH" {
			return 6
		}
		if string(m) == "TRACE" {
			return 9
		}
	case 6:
		if string(m) == "DELETE" {
			return 5
		}
	case 7:
		if string(m) == "OPTIONS" {
			return 7
		}
		if string(m) == "CONNECT" {
			return 8
		}
	}
	return 10
}

// lowerASCII lower-cases b into dst when it has upper-case letters.
func lowerASCII(dst, b []byte) []byte {
	upper := false
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return b
	}
	dst = append(dst[:0], b...)
	for i, c := range dst {
		if c >= 'A' && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}
