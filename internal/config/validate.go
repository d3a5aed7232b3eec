package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/beacon"
	"github.com/headroom-slo/headroom/internal/logformat"
	"github.com/headroom-slo/headroom/internal/slo"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Validate checks the whole config and returns every problem found, joined,
// each as "file:line: field: problem".
func (c *Config) Validate() error {
	v := validator{c: c}
	if a := c.Server.Auth; (a.Username == "") != (a.PasswordEnv == "") {
		v.add("server.auth", "username and password_env go together")
	}
	if len(c.Services) == 0 {
		v.add("services", "at least one service is required")
	}
	services := map[string]bool{}
	for i, s := range c.Services {
		p := fmt.Sprintf("services[%d]", i)
		v.name(p+".name", "service", s.Name, services)
		if len(s.Logs) == 0 && s.RUM == nil && c.Server.Push == nil {
			v.add(p+".logs", "required (or a rum block, for a frontend app; or server.push, for a service fed by agents)")
		}
		if r := s.RUM; r != nil {
			if len(r.Origins) == 0 {
				v.add(p+".rum.origins", "required: the origins the pages are served from (like https://app.example.com), or \"*\"")
			}
			for _, o := range r.Origins {
				if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || u.Path != "") {
					v.add(p+".rum.origins", "%q: want an origin like https://app.example.com", o)
				}
			}
			if sr := r.SampleRate; sr != nil && (*sr <= 0 || *sr > 1) {
				v.add(p+".rum.sample_rate", "%v: want above 0, at most 1", *sr)
			}
			if r.RateLimit < 0 {
				v.add(p+".rum.rate_limit", "must not be negative")
			}
		}
		for j, l := range s.Logs {
			lp := fmt.Sprintf("%s.logs[%d]", p, j)
			if l.Path == "" {
				v.add(lp+".path", "required")
			}
			if _, err := l.Compile(); err != nil {
				field := ".format"
				if l.LogFormat != "" {
					field = ".log_format"
				}
				v.add(lp+field, "%v", err)
			}
			if _, err := l.Wrap(); err != nil {
				v.add(lp+".wrapper", "%v", err)
			}
		}
		if len(s.Exclude) > 64 {
			v.add(p+".exclude", "at most 64 rules (combine them with | in one regexp)")
		}
		for j, e := range s.Exclude {
			ep := fmt.Sprintf("%s.exclude[%d]", p, j)
			if e.Route.IsZero() && e.UserAgent.IsZero() && e.Host.IsZero() && len(e.Method) == 0 && e.Status.IsZero() {
				v.add(ep, "empty rule: set route, user_agent, host, method or status")
			}
			v.regexp(ep+".route", e.Route)
			v.regexp(ep+".user_agent", e.UserAgent)
			v.regexp(ep+".host", e.Host)
			v.statuses(ep+".status", e.Status)
		}
		for j, r := range s.Routes {
			rp := fmt.Sprintf("%s.routes[%d]", p, j)
			if r.Match.IsZero() {
				v.add(rp+".match", "required")
			}
			v.regexp(rp+".match", r.Match)
			if r.Template == "" {
				v.add(rp+".template", "required")
			}
		}
		v.match(p, s)
		v.capacity(p, s)
		if s.MaxRoutes < 0 {
			v.add(p+".max_routes", "must be positive")
		}
		if s.MaxHosts < 0 || s.MaxHosts > 65535 {
			v.add(p+".max_hosts", "%d: want 1 to 65535", s.MaxHosts)
		}
		if s.Latency != "request_time" && s.Latency != "upstream_response_time" {
			v.add(p+".latency", "%q: want request_time or upstream_response_time", s.Latency)
		}
	}
	v.sharedLogs()
	slos := map[string]bool{}
	for i, o := range c.SLOs {
		p := fmt.Sprintf("slos[%d]", i)
		v.name(p+".name", "SLO", o.Name, slos)
		svc := c.Service(o.Service)
		switch {
		case o.Service == "":
			v.add(p+".service", "required")
		case svc == nil:
			v.add(p+".service", "%v", c.CheckService(o.Service))
		}
		if o.Objective <= 0 || o.Objective >= 100 {
			v.add(p+".objective", "%v: want a percentage above 0 and below 100, like 99.9", o.Objective)
		}
		if o.Window.IsZero() {
			v.add(p+".window", "required (like 28d, month or quarter)")
		} else if o.Window.err != nil {
			v.add(p+".window", "%v", o.Window.err)
		}
		v.regexp(p+".filter.host", o.Filter.Host)
		v.regexp(p+".filter.route", o.Filter.Route)
		v.statuses(p+".filter.status", o.Filter.Status)
		switch o.SLI.Type {
		case Availability:
			v.statuses(p+".sli.bad_status", o.SLI.BadStatus)
			if o.SLI.Threshold != 0 {
				v.add(p+".sli.threshold", "only latency SLIs have a threshold")
			}
		case Latency:
			th := time.Duration(o.SLI.Threshold)
			switch {
			case th <= 0:
				v.add(p+".sli.threshold", "required for latency SLIs (like 300ms)")
			case th%time.Millisecond != 0:
				v.add(p+".sli.threshold", "%v: must be whole milliseconds (nginx logs milliseconds)", th)
			case th > time.Hour:
				v.add(p+".sli.threshold", "%v: at most 1h", th)
			}
			if !o.SLI.BadStatus.IsZero() {
				v.add(p+".sli.bad_status", "only availability SLIs have bad statuses")
			}
		case WebVital:
			switch {
			case !isVital(o.SLI.Vital):
				v.add(p+".sli.vital", "%q: want one of %s", o.SLI.Vital, strings.Join(beacon.Names(), ", "))
			case o.SLI.Vital == beacon.CLS:
				if o.SLI.Score == nil || *o.SLI.Score <= 0 {
					v.add(p+".sli.score", "required for CLS (like 0.1): CLS has no unit")
				}
				if o.SLI.Threshold != 0 {
					v.add(p+".sli.threshold", "CLS has no unit: set score (like 0.1)")
				}
			default:
				if th := time.Duration(o.SLI.Threshold); th <= 0 || th%time.Millisecond != 0 || th > time.Hour {
					v.add(p+".sli.threshold", "required for %s: whole milliseconds up to 1h (like 2.5s)", o.SLI.Vital)
				}
			}
		case Composite:
			if len(o.SLI.Components) < 2 {
				v.add(p+".sli.components", "a composite needs at least two SLOs")
			}
			for j, comp := range o.SLI.Components {
				cp := fmt.Sprintf("%s.sli.components[%d]", p, j)
				var target *SLO
				for k := range c.SLOs {
					if c.SLOs[k].Name == comp.SLO {
						target = &c.SLOs[k]
					}
				}
				switch {
				case target == nil:
					v.add(cp+".slo", "unknown SLO %q", comp.SLO)
				case target.SLI.Type == Composite:
					v.add(cp+".slo", "%q is a composite: composites do not nest", comp.SLO)
				}
				if comp.Weight < 0 {
					v.add(cp+".weight", "must not be negative")
				}
			}
		case JSErrors, BrowserAPI:
			if o.SLI.Threshold != 0 || !o.SLI.BadStatus.IsZero() {
				v.add(p+".sli", "%s SLIs take no threshold or bad_status", o.SLI.Type)
			}
		case "":
			v.add(p+".sli.type", "required: availability, latency, web_vital, js_errors, browser_api or composite")
		default:
			v.add(p+".sli.type", "%q: want availability, latency, web_vital, js_errors, browser_api or composite", o.SLI.Type)
		}
		if svc != nil {
			rumType := o.SLI.Type == WebVital || o.SLI.Type == JSErrors || o.SLI.Type == BrowserAPI
			switch {
			case rumType && svc.RUM == nil:
				v.add(p+".sli.type", "%s SLIs need a service with a rum block (%q has none)", o.SLI.Type, o.Service)
			case (o.SLI.Type == Availability || o.SLI.Type == Latency) && len(svc.Logs) == 0 && c.Server.Push == nil:
				v.add(p+".sli.type", "%s SLIs need a service with logs, or fed by agents (server.push) (%q has none)", o.SLI.Type, o.Service)
			}
		}
	}
	v.alerting()
	v.export()
	v.sprints()
	v.maintenance()
	r := c.Storage.Retention
	for _, f := range []struct {
		name string
		d    Duration
	}{{"minutes", r.Minutes}, {"hours", r.Hours}, {"days", r.Days}} {
		if f.d != Forever && time.Duration(f.d) < 24*time.Hour {
			v.add("storage.retention."+f.name, "%v: keep at least 1d (or forever)", time.Duration(f.d))
		}
	}
	return errors.Join(v.errs...)
}

// Warnings lists what is valid but probably not what was meant, such as a
// latency SLO on logs whose format has no latency.
func (c *Config) Warnings() []string {
	var out []string
	for i, o := range c.SLOs {
		svc := c.Service(o.Service)
		if o.SLI.Type != Latency || svc == nil {
			continue
		}
		for j, l := range svc.Logs {
			if lp, err := l.Compile(); err == nil && !lp.HasLatency() {
				out = append(out, fmt.Sprintf("%s:%d: slos[%d]: latency SLO %q: logs[%d] of service %q (%s) have no $request_time or $upstream_response_time, so their requests do not count toward it",
					c.Path, c.lines[fmt.Sprintf("slos[%d]", i)], i, o.Name, j, o.Service, l.Path))
			}
		}
	}
	return out
}

type validator struct {
	c    *Config
	errs []error
}

func (v *validator) add(field, format string, args ...any) {
	if v.c.undecoded[field] {
		return // its decode problem says what is wrong
	}
	v.errs = append(v.errs, fmt.Errorf("%s: %s: %s", v.c.Where(field), field, fmt.Sprintf(format, args...)))
}

// Where returns where field (a path such as "services[0].logs[1].path") is
// written: "file:line", the line being the field's or, when it is not
// written, its closest parent's.
func (c *Config) Where(field string) string {
	loc := c.Path
	if loc == "" {
		loc = "config"
	}
	for p := field; ; {
		if n, ok := c.lines[p]; ok {
			return loc + ":" + strconv.Itoa(n)
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return loc
		}
		p = p[:i]
	}
}

// name checks a name is present, well formed and unique among seen.
func (v *validator) name(field, kind, name string, seen map[string]bool) {
	switch {
	case name == "":
		v.add(field, "required")
	case !nameRE.MatchString(name):
		v.add(field, "%q: use letters, digits, '.', '_' and '-'", name)
	case seen[name]:
		v.add(field, "duplicate %s %q", kind, name)
	}
	seen[name] = true
}

// match checks services[i].match: regexps that compile, on fields the
// service's logs have (a log without $proxy_upstream_name would match no
// line, and the service would count nothing).
func (v *validator) match(p string, s Service) {
	m := s.Match
	if m == nil {
		return
	}
	mp := p + ".match"
	switch {
	case m.IsZero():
		v.add(mp, "empty: set upstream, host or route (a service without match takes every line of its logs)")
		return
	case len(s.Logs) == 0:
		v.add(mp, "the service has no logs to take lines from")
		return
	}
	v.regexp(mp+".host", m.Host)
	v.regexp(mp+".upstream", m.Upstream)
	v.regexp(mp+".route", m.Route)
	for j, l := range s.Logs {
		lp, err := l.Compile()
		if err != nil {
			continue // reported under its format
		}
		if !m.Upstream.IsZero() && !lp.Has(logformat.VarProxyUpstreamName) {
			v.add(mp+".upstream", "logs[%d] (%s, %s) has no $proxy_upstream_name, so no line of it would match: use format: ingress-nginx, or a log_format with $proxy_upstream_name",
				j, l.Path, l.formatName())
		}
		if !m.Host.IsZero() && !lp.Has(logformat.VarHost) && !lp.Has(logformat.VarHTTPHost) && !lp.Has(logformat.VarServerName) {
			v.add(mp+".host", "logs[%d] (%s, %s) has no $host, $http_host or $server_name, so no line of it would match: add $host to its log_format",
				j, l.Path, l.formatName())
		}
	}
}

// sharedLogs checks the logs listed under several services: they are read
// once, so every listing must read them the same way, and a service lists
// a log once.
func (v *validator) sharedLogs() {
	c := v.c
	for _, l := range c.Logs() {
		first := l.Refs[0]
		for _, r := range l.Refs[1:] {
			lp := fmt.Sprintf("services[%d].logs[%d]", r.Svc, r.Log)
			fp := fmt.Sprintf("services[%d].logs[%d]", first.Svc, first.Log)
			other := c.Services[r.Svc].Logs[r.Log]
			switch {
			case l.Path == "":
			case r.Svc == first.Svc:
				v.add(lp+".path", "%s is listed twice in service %q (also %s)", l.Path, c.Services[r.Svc].Name, fp)
			case other.readKey() != l.readKey():
				v.add(lp, "%s is also a log of service %q (%s, %s) but is read here with %s: a log listed under several services is read once, for all of them, so every listing must read it the same way (format or log_format, escape, wrapper, follow_symlinks)",
					l.Path, c.Services[first.Svc].Name, fp, l.LogSource.readName(), other.readName())
			}
		}
	}
}

// readKey is how a log is read: format, escape and wrapper, defaults
// spelled out, so that two listings of one log compare.
func (l LogSource) readKey() string {
	esc, _ := logformat.ParseEscape(l.Escape)
	wrap, _ := logformat.ParseWrapper(l.Wrapper)
	return fmt.Sprintf("%q %q %d %d %v", l.Format, l.LogFormat, esc, wrap, l.Follow())
}

// formatName names the log's format for messages: "format combined" or
// "its log_format".
func (l LogSource) formatName() string {
	if l.LogFormat != "" {
		return "its log_format"
	}
	return "format " + l.Format
}

// readName says how a log is read, for messages: "format combined,
// wrapper cri".
func (l LogSource) readName() string {
	out := l.formatName()
	if l.LogFormat != "" {
		out = fmt.Sprintf("log_format %q", l.LogFormat)
	}
	if l.Escape != "" && l.Escape != "default" {
		out += ", escape " + l.Escape
	}
	if w := strings.ToLower(l.Wrapper); w != "" && w != "none" {
		out += ", wrapper " + w
	}
	if l.FollowSymlinks != nil {
		out += fmt.Sprintf(", follow_symlinks %v", *l.FollowSymlinks)
	}
	return out
}

// regexp reports a pattern that did not compile when read.
func (v *validator) regexp(field string, r Regexp) {
	if r.err != nil {
		v.add(field, "bad regexp: %v", r.err)
	}
}

// statuses reports a status list that did not parse when read.
func (v *validator) statuses(field string, s StatusSet) {
	if s.err != nil {
		v.add(field, "%v", s.err)
	}
}

// Compile returns the parser for the source's format.
func (l LogSource) Compile() (*logformat.Parser, error) {
	if l.Format != "" && l.LogFormat != "" {
		return nil, fmt.Errorf("set format (a preset) or log_format, not both")
	}
	esc, err := logformat.ParseEscape(l.Escape)
	if err != nil {
		return nil, err
	}
	format := l.LogFormat
	if l.Format != "" {
		f, pesc, ok := logformat.Preset(l.Format)
		if !ok {
			names := logformat.PresetNames()
			return nil, fmt.Errorf("unknown preset %q: want %s or %s (or paste your log_format)",
				l.Format, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
		}
		format = f
		if l.Escape == "" {
			esc = pesc
		}
	}
	p, err := logformat.Compile(format, esc)
	if err != nil {
		return nil, err
	}
	if !p.HasTime() {
		return nil, fmt.Errorf("the format has no time: add $time_local, $time_iso8601 or $msec")
	}
	if !p.HasStatus() {
		return nil, fmt.Errorf("the format has no $status")
	}
	return p, nil
}

// Wrap returns the source's wrapper: how a container runtime frames its
// lines (none when unset).
func (l LogSource) Wrap() (logformat.Wrapper, error) {
	return logformat.ParseWrapper(l.Wrapper)
}

// Severities an alert may have.
var Severities = []string{"page", "ticket"}

func (v *validator) alerting() {
	c := v.c
	if d := time.Duration(c.Alerting.Interval); d != 0 && (d < time.Second || d > 10*time.Minute) {
		v.add("alerting.interval", "%v: want 1s to 10m", d)
	}
	if m := c.Alerting.MinEvents; m != nil && *m < 0 {
		v.add("alerting.min_events", "must not be negative")
	}
	if s := c.Alerting.NoData.Severity; s != "" && s != "none" && !slices.Contains(Severities, s) {
		v.add("alerting.no_data.severity", "%q: want page, ticket or none", s)
	}
	if p := c.Server.Push; p != nil && p.TokenEnv == "" {
		v.add("server.push.token_env", "required: the environment variable holding the token agents push with")
	}
	if a := c.Agent; a.Name != "" && !nameRE.MatchString(a.Name) {
		v.add("agent.name", "%q: want letters, digits, '.', '_' or '-'", a.Name)
	}
	for i, t := range c.Agent.Push {
		p := fmt.Sprintf("agent.push[%d]", i)
		if u, err := url.Parse(t.URL); t.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", "%q: want a server's base URL like http://headroom-a:8080", t.URL)
		}
		if t.TokenEnv == "" {
			v.add(p+".token_env", "required: the environment variable holding the server's push token")
		}
	}
	if c.Server.ExternalURL != "" {
		if u, err := url.Parse(c.Server.ExternalURL); err != nil || u.Scheme == "" || u.Host == "" {
			v.add("server.external_url", "%q: want an absolute URL like https://headroom.example.com", c.Server.ExternalURL)
		}
	}
	names := map[string]bool{}
	for i, n := range c.Notify {
		p := fmt.Sprintf("notify[%d]", i)
		v.name(p+".name", "notify target", n.Name, names)
		urls := 0
		for _, u := range []string{n.URL, n.URLEnv, n.WebhookURLEnv} {
			if u != "" {
				urls++
			}
		}
		switch n.Type {
		case "alertmanager", "slack", "webhook":
			if urls != 1 {
				v.add(p, "set exactly one of url, url_env, webhook_url_env")
			}
		case "":
			v.add(p+".type", "required: alertmanager, slack or webhook")
		default:
			v.add(p+".type", "%q: want alertmanager, slack or webhook", n.Type)
		}
		if n.URL != "" {
			if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.add(p+".url", "%q: want an http(s) URL", n.URL)
			}
		}
		if n.SecretEnv != "" && n.Type != "webhook" {
			v.add(p+".secret_env", "only webhook targets are signed")
		}
		for _, s := range n.Severities {
			if !slices.Contains(Severities, s) {
				v.add(p+".severities", "%q: want page or ticket", s)
			}
		}
		for _, s := range n.Services {
			if err := c.CheckService(s); err != nil {
				v.add(p+".services", "%v", err)
			}
		}
	}
	for i, o := range c.SLOs {
		p := fmt.Sprintf("slos[%d].alerting", i)
		a := o.Alerting
		if a.MinEvents != nil && *a.MinEvents < 0 {
			v.add(p+".min_events", "must not be negative")
		}
		if a.Exhausted != "" && a.Exhausted != "none" && !slices.Contains(Severities, a.Exhausted) {
			v.add(p+".exhausted", "%q: want page, ticket or none", a.Exhausted)
		}
		tiers := map[string]bool{}
		for j, t := range a.Tiers {
			tp := fmt.Sprintf("%s.tiers[%d]", p, j)
			switch {
			case t.Name == "":
				v.add(tp+".name", "required (a default tier to change: page-1h, page-6h, ticket-1d, ticket-3d; or a new name)")
			case tiers[t.Name]:
				v.add(tp+".name", "%q twice", t.Name)
			}
			tiers[t.Name] = true
			if t.Severity != "" && !slices.Contains(Severities, t.Severity) {
				v.add(tp+".severity", "%q: want page or ticket", t.Severity)
			}
			if s := t.BudgetShare; s != nil && (*s <= 0 || *s > 100) {
				v.add(tp+".budget_share", "%v: want a percentage of the budget above 0, at most 100", *s)
			}
			if t.Long < 0 || t.Short < 0 || t.For < 0 {
				v.add(tp, "durations must not be negative")
			}
			if !isDefaultTier(t.Name) && !t.Disabled && (t.Severity == "" || t.BudgetShare == nil || t.Long == 0 || t.Short == 0) {
				v.add(tp, "a new tier needs severity, budget_share, long and short")
			} else if !t.Disabled && t.Long >= 0 && t.Short >= 0 {
				v.tierWindows(tp, t)
			}
		}
	}
}

func isVital(name string) bool {
	_, ok := beacon.Lookup(name)
	return ok
}

// tierWindows checks that a tier's short window, as changed or as the
// default tier of that name has it, is shorter than its long one: the short
// window confirms that the long one still burns.
func (v *validator) tierWindows(tp string, t TierConfig) {
	long, short := time.Duration(t.Long), time.Duration(t.Short)
	for _, d := range slo.DefaultTiers() {
		if d.Name == t.Name {
			long, short = cmp.Or(long, d.Long), cmp.Or(short, d.Short)
		}
	}
	if short < long {
		return
	}
	f := tp + ".short"
	if t.Short == 0 {
		f = tp + ".long"
	}
	v.add(f, "short window %s must be shorter than long window %s", slo.FormatDuration(short), slo.FormatDuration(long))
}

func isDefaultTier(name string) bool {
	switch name {
	case "page-1h", "page-6h", "ticket-1d", "ticket-3d":
		return true
	}
	return false
}

func (v *validator) sprints() {
	c := v.c
	if sp := c.Sprints; sp != nil {
		if sp.Start.IsZero() || sp.Start.err != nil {
			v.add("sprints.start", "%q: want a date like 2025-03-03", sp.Start)
		}
		if sp.Length != 0 && (time.Duration(sp.Length) < 24*time.Hour || time.Duration(sp.Length)%(24*time.Hour) != 0) {
			v.add("sprints.length", "%v: want whole days (like 14d)", time.Duration(sp.Length))
		}
		if err := sp.Timezone.err; err != nil {
			v.add("sprints.timezone", "%q: %v", sp.Timezone, err)
		}
		if cp := sp.Capacity; cp.People < 0 || cp.Hours < 0 || cp.Spare < 0 || cp.Spare > 100 {
			v.add("sprints.capacity", "people and hours must not be negative; spare is a percentage")
		}
	}
	for i, r := range c.Policy {
		p := fmt.Sprintf("policy[%d]", i)
		if r.Below > 100 || r.Below < -1000 {
			v.add(p+".below", "%v: want a percentage of the budget left (0 means spent)", r.Below)
		}
		if r.Action == "" {
			v.add(p+".action", "required: what the team does (like \"reliability work first\")")
		}
	}
	if w := time.Duration(c.Changes.Window); w < 0 || w > 7*24*time.Hour {
		v.add("changes.window", "%v: want up to 7d", w)
	}
	if f := c.Changes.FailedShare; f != nil && (*f <= 0 || *f > 100) {
		v.add("changes.failed_share", "%v: want a percentage above 0", *f)
	}
	for i, o := range c.SLOs {
		if o.Window.String() == "sprint" && c.Sprints == nil {
			v.add(fmt.Sprintf("slos[%d].window", i), "sprint windows need a sprints block")
		}
	}
}
