// Package config reads headroom's YAML configuration strictly: unknown keys
// are rejected, defaults are filled in, and Validate reports every problem at
// once, each with the file, line and field it concerns.
//
// Values written as text (regexps, status lists, windows, dates, time zones)
// are parsed once, when read, into typed values (values.go): code that takes
// a loaded config uses them as they are and never parses them again.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is a whole headroom configuration.
type Config struct {
	Storage  Storage  `yaml:"storage"`
	Server   Server   `yaml:"server"`
	Agent    Agent    `yaml:"agent"`
	Alerting Alerting `yaml:"alerting"`
	Notify   []Notify `yaml:"notify"`
	Sprints  *Sprints `yaml:"sprints"`
	// Policy is the error budget policy: what the team does when an SLO's
	// budget left drops below each rule's threshold.
	Policy   []PolicyRule `yaml:"policy"`
	Changes  Changes      `yaml:"changes"`
	Export   Export       `yaml:"export"`
	Services []Service    `yaml:"services"`
	SLOs     []SLO        `yaml:"slos"`
	// Maintenance are planned windows whose events count toward no SLI
	// and during which alerts do not fire (maintenance.go).
	Maintenance []Maintenance `yaml:"maintenance"`

	// Path is the file the config was read from ("" for in-memory configs).
	Path string `yaml:"-"`
	// lines maps field paths such as "slos[1].objective" to their line.
	lines map[string]int
	// undecoded are the fields whose values did not decode: reported once,
	// as what they are, not again as the zero value they were left with.
	undecoded map[string]bool
}

// Storage says where and how long data is kept.
type Storage struct {
	Dir       string    `yaml:"dir"`
	Retention Retention `yaml:"retention"`
}

// Retention is how long each resolution of cells is kept: a duration, or
// "forever". Unset: minutes 100d, hours 2y, days forever.
type Retention struct {
	Minutes Duration `yaml:"minutes"`
	Hours   Duration `yaml:"hours"`
	Days    Duration `yaml:"days"`
}

// Server configures `headroom serve`.
type Server struct {
	Listen string     `yaml:"listen"`
	Auth   ServerAuth `yaml:"auth"`
	// ExternalURL is where people reach the dashboard, for links in
	// alerts (default: http:// + listen).
	ExternalURL string `yaml:"external_url"`
	// Push, when set, takes minute cells from agents at /api/v1/push.
	Push *ServerPush `yaml:"push"`
}

// ServerPush lets agents push cells: each push must carry the token read
// from the environment variable TokenEnv as a bearer token.
type ServerPush struct {
	TokenEnv string `yaml:"token_env"`
}

// Agent configures `headroom agent`: it reads the services' logs like
// serve, and pushes their minute cells to every server in Push instead of
// serving them.
type Agent struct {
	// Name is the node cells come from (default: the host name).
	Name string `yaml:"name"`
	// Listen, when set, serves /metrics and /healthz.
	Listen string       `yaml:"listen"`
	Push   []PushTarget `yaml:"push"`
	Spool  Spool        `yaml:"spool"`
}

// PushTarget is a server an agent pushes to, with the environment variable
// holding its push token.
type PushTarget struct {
	URL      string `yaml:"url"`
	TokenEnv string `yaml:"token_env"`
}

// Spool bounds the batches an agent keeps on disk until every server took
// them (default 1GiB).
type Spool struct {
	MaxBytes ByteSize `yaml:"max_bytes"`
}

// Sprints are the team's sprints: from Start, every Length, in Timezone.
type Sprints struct {
	Start    Date     `yaml:"start"`    // 2025-03-03
	Length   Duration `yaml:"length"`   // default 14d
	Timezone Location `yaml:"timezone"` // default UTC
	Capacity Capacity `yaml:"capacity"`
}

// Capacity is what a sprint has for work: People × Hours, of which Spare
// percent is kept for interrupts.
type Capacity struct {
	People float64 `yaml:"people"`
	Hours  float64 `yaml:"hours"` // per person per sprint
	Spare  float64 `yaml:"spare"` // percent
}

// PolicyRule applies while an SLO's error budget left is below Below
// percent.
type PolicyRule struct {
	Below  float64 `yaml:"below"`
	Action string  `yaml:"action"`
	Freeze bool    `yaml:"freeze"` // deploys are blocked (policy check exits 1)
}

// Changes says how changes are judged.
type Changes struct {
	Window      Duration `yaml:"window"`       // burn after a change is measured over this (default 3h)
	FailedShare *float64 `yaml:"failed_share"` // percent of the budget burned after a change that makes it failed (default 10)
}

// Alerting configures the alert evaluator of `headroom serve`.
type Alerting struct {
	// Interval is how often every SLO is evaluated (default 30s).
	Interval Duration `yaml:"interval"`
	// MinEvents is the default for slos[].alerting.min_events (10).
	MinEvents *float64 `yaml:"min_events"`
	// NoData alerts when a source cannot be read for After.
	NoData NoData `yaml:"no_data"`
}

// NoData configures the no-data alert.
type NoData struct {
	After    Duration `yaml:"after"`    // default 10m
	Severity string   `yaml:"severity"` // default ticket; none disables
}

// Notify is a notification target.
type Notify struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // alertmanager, slack, webhook
	URL  string `yaml:"url"`
	// URLEnv and WebhookURLEnv name an environment variable holding the URL
	// (a Slack webhook URL is a secret).
	URLEnv        string     `yaml:"url_env"`
	WebhookURLEnv string     `yaml:"webhook_url_env"`
	SecretEnv     string     `yaml:"secret_env"` // webhook: HMAC-SHA256 key
	Severities    StringList `yaml:"severities"` // only these (default all)
	Services      StringList `yaml:"services"`   // only these (default all)
}

// SLOAlerting is how one SLO alerts.
type SLOAlerting struct {
	Disabled  bool              `yaml:"disabled"`
	MinEvents *float64          `yaml:"min_events"`
	Exhausted string            `yaml:"exhausted"` // severity of budget exhausted: ticket (default), page, none
	Labels    map[string]string `yaml:"labels"`
	// Tiers change the default tiers by name (page-1h, page-6h,
	// ticket-1d, ticket-3d) or add new ones.
	Tiers []TierConfig `yaml:"tiers"`
}

// TierConfig is a burn-rate tier: fire when both windows burn faster than
// would spend BudgetShare of the budget within Long.
type TierConfig struct {
	Name        string            `yaml:"name"`
	Disabled    bool              `yaml:"disabled"`
	Severity    string            `yaml:"severity"`
	BudgetShare *float64          `yaml:"budget_share"` // percent of the budget, e.g. 2
	Long        Duration          `yaml:"long"`
	Short       Duration          `yaml:"short"`
	For         Duration          `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
}

// ServerAuth protects everything `serve` answers but /healthz: a bearer
// token, basic auth, or both (either is accepted). Secrets come from
// environment variables, named here.
type ServerAuth struct {
	BearerTokenEnv string `yaml:"bearer_token_env"`
	Username       string `yaml:"username"`
	PasswordEnv    string `yaml:"password_env"`
}

// Service is one thing with SLOs, fed by Nginx access logs.
type Service struct {
	Name      string      `yaml:"name"`
	Logs      []LogSource `yaml:"logs"`
	Exclude   []Exclude   `yaml:"exclude"`
	Routes    []RouteRule `yaml:"routes"`
	MaxRoutes int         `yaml:"max_routes"`
	MaxHosts  int         `yaml:"max_hosts"`
	// Latency names the variable latency SLIs use: request_time (default) or
	// upstream_response_time.
	Latency string `yaml:"latency"`
	// RUM, when set, makes the service a frontend app fed by browsers.
	RUM *RUM `yaml:"rum"`
	// Match, when set, takes only the lines of the service's logs it
	// accepts: one log (an ingress controller's) split into services.
	Match *Match `yaml:"match"`
	// Capacity, when set, is the request rate the service was shown to
	// take (capacity.go).
	Capacity *ServiceCapacity `yaml:"capacity"`
}

// Match says which lines of its logs a service takes. Every key given must
// match; a service without Match takes every line.
type Match struct {
	// Host is a regexp on the request's host, lower-cased, "-" when the
	// line has none (what SLO filters and the dashboard see).
	Host Regexp `yaml:"host"`
	// Upstream is a regexp on the upstream the request was routed to:
	// $proxy_upstream_name, which ingress-nginx sets to
	// "<namespace>-<service>-<port>" ("" when nginx answered itself).
	Upstream Regexp `yaml:"upstream"`
	// Route is a regexp on the route template, the service's routes
	// rules applied (as exclude.route and filter.route).
	Route Regexp `yaml:"route"`
}

// IsZero reports whether no key is set.
func (m *Match) IsZero() bool {
	return m == nil || m.Host.IsZero() && m.Upstream.IsZero() && m.Route.IsZero()
}

// LogSource is a glob of access-log files in one format.
type LogSource struct {
	Path      string `yaml:"path"`
	Format    string `yaml:"format"`     // preset: combined, main, common, ingress-nginx, nginx-ingress, json
	LogFormat string `yaml:"log_format"` // a log_format pasted from nginx.conf
	Escape    string `yaml:"escape"`     // default, json, none
	// Wrapper is the container runtime's framing around each line, for
	// logs under /var/log/containers: cri, docker or none (the default).
	Wrapper string `yaml:"wrapper"`
	// FollowSymlinks reads the glob's matches that are symbolic links
	// out of its directory, and their rotated siblings next to their
	// targets. Unset: true with a wrapper (kubelet's links in
	// /var/log/containers), false otherwise (see Follow).
	FollowSymlinks *bool `yaml:"follow_symlinks"`
}

// Follow reports whether the log's symbolic links out of its directory
// are read: follow_symlinks, by default true for container logs (a
// wrapper: /var/log/containers holds only kubelet's links into
// /var/log/pods, in a directory only root writes) and false for plain
// ones (a log directory the web server's user may write to must not lead
// headroom, reading as root, to /etc/shadow).
func (l LogSource) Follow() bool {
	if l.FollowSymlinks != nil {
		return *l.FollowSymlinks
	}
	w := strings.ToLower(l.Wrapper)
	return w == "cri" || w == "docker"
}

// LogRef is where a log is listed: Services[Svc].Logs[Log].
type LogRef struct{ Svc, Log int }

// Log is a configured path or glob and the services that list it. A log
// listed under several services (the same path, resolved against the
// config's directory, in the same format) is read once, and each line
// counts for every service whose match accepts it.
type Log struct {
	LogSource // as listed first
	// Refs are the listings, in the config's order: one per service.
	Refs []LogRef
}

// Logs groups the services' logs by path, in the order the config first
// lists each.
func (c *Config) Logs() []Log {
	var out []Log
	at := map[string]int{}
	for i, s := range c.Services {
		for j, l := range s.Logs {
			k, ok := at[l.Path]
			if !ok {
				k = len(out)
				at[l.Path] = k
				out = append(out, Log{LogSource: l})
			}
			out[k].Refs = append(out[k].Refs, LogRef{i, j})
		}
	}
	return out
}

// Exclude drops matching requests before they count anywhere. All fields set
// in one rule must match (AND); any rule matching excludes (OR).
type Exclude struct {
	Route     Regexp     `yaml:"route"`      // on the path (no query)
	UserAgent Regexp     `yaml:"user_agent"` // on the User-Agent header
	Host      Regexp     `yaml:"host"`
	Method    StringList `yaml:"method"`
	Status    StatusSet  `yaml:"status"` // codes and classes: 404, 4xx, 500-599
}

// RouteRule overrides automatic route templating.
type RouteRule struct {
	Match    Regexp `yaml:"match"`    // on the path
	Template string `yaml:"template"` // may use $1, ${name}
}

// SLO is one service level objective.
type SLO struct {
	Name        string  `yaml:"name"`
	Service     string  `yaml:"service"`
	Description string  `yaml:"description"`
	Objective   float64 `yaml:"objective"` // percent, e.g. 99.9
	Window      Window  `yaml:"window"`    // 28d, month, quarter, week
	Filter      Filter  `yaml:"filter"`
	SLI         SLISpec `yaml:"sli"`
	// Runbook is a link alerts carry.
	Runbook  string      `yaml:"runbook"`
	Alerting SLOAlerting `yaml:"alerting"`
}

// Filter narrows the requests an SLO counts.
type Filter struct {
	Host   Regexp     `yaml:"host"`
	Route  Regexp     `yaml:"route"` // on the route template
	Method StringList `yaml:"method"`
	Status StatusSet  `yaml:"status"`
}

// SLISpec says which requests are good.
type SLISpec struct {
	Type      string    `yaml:"type"` // availability, latency, web_vital, js_errors, browser_api
	Threshold Duration  `yaml:"threshold"`
	BadStatus StatusSet `yaml:"bad_status"` // availability: default [5xx]
	// Vital is the web vital of a web_vital SLI: LCP, INP, CLS, FCP, TTFB;
	// a page view is good when it is at most Threshold (Score for CLS,
	// which has no unit).
	Vital string   `yaml:"vital"`
	Score *float64 `yaml:"score"`
	// Components of a composite SLI: other SLOs and their weights.
	Components []Component `yaml:"components"`
}

// Component is one SLO in a composite, with its compositeWeight (OpenSLO).
type Component struct {
	SLO    string  `yaml:"slo"`
	Weight float64 `yaml:"weight"` // default 1
}

// SLI types.
const (
	Availability = "availability"
	Latency      = "latency"
	WebVital     = "web_vital"   // share of page views with a good vital
	JSErrors     = "js_errors"   // share of page views without an uncaught error
	BrowserAPI   = "browser_api" // share of browser API calls that succeeded
	Composite    = "composite"   // a weighted combination of other SLOs' SLIs
)

// RUM makes a service a frontend app fed by rum.js beacons.
type RUM struct {
	// Origins are the Origin headers beacons may come from
	// (https://app.example.com); "*" allows any.
	Origins StringList `yaml:"origins"`
	// SampleRate keeps this share of page views (0 to 1, default 1),
	// chosen by page view id so that a page view is kept whole.
	SampleRate *float64 `yaml:"sample_rate"`
	// RateLimit is how many beacons a second one client (IP address) may
	// send (default 20, bursts of twice that).
	RateLimit float64 `yaml:"rate_limit"`
}

// Load reads, defaults and validates the config at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(b, path)
}

// Parse reads, defaults and validates a config. Relative paths in it are
// resolved against the directory of path. All problems are returned at once.
func Parse(b []byte, path string) (*Config, error) {
	c := &Config{Path: path, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(root.Content) > 0 {
		indexLines(root.Content[0], "", c.lines)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// The walk finds unknown keys and non-finite floats (.nan, .inf), and
	// notes where each value is for the decoder's messages.
	k := &keyChecker{unknown: map[lineKey]bool{}, seen: map[walked]bool{}}
	k.walk(&root, reflect.TypeFor[Config](), "")
	problems := k.problems
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		// Unknown keys and bad values; the rest decoded, so validate it too
		// and report everything at once, in the config's words.
		for _, m := range te.Errors {
			if p, ok := k.rewrite(m); ok {
				problems = append(problems, p)
			}
		}
	}
	slices.SortStableFunc(problems, func(a, b decodeProblem) int { return a.line - b.line })
	var errs []error
	for _, p := range problems {
		if p.field != "" {
			if c.undecoded == nil {
				c.undecoded = map[string]bool{}
			}
			c.undecoded[p.field] = true
		}
		if p.line == 0 {
			errs = append(errs, fmt.Errorf("%s: %s", path, p.msg))
			continue
		}
		errs = append(errs, fmt.Errorf("%s:%d: %s", path, p.line, p.msg))
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func indexLines(n *yaml.Node, path string, lines map[string]int) {
	lines[path] = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := key
			if path != "" {
				p = path + "." + key
			}
			lines[p] = n.Content[i].Line
			indexLines(n.Content[i+1], p, lines)
			lines[p] = n.Content[i].Line
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			indexLines(e, path+"["+strconv.Itoa(i)+"]", lines)
		}
	}
}

// Defaults.
const (
	DefaultDir       = "./headroom-data"
	DefaultListen    = "127.0.0.1:8080"
	DefaultMaxRoutes = 1000
	DefaultMaxHosts  = 100
	// DefaultSpoolBytes is an agent's spool bound: 1 GiB.
	DefaultSpoolBytes ByteSize = 1 << 30
)

func (c *Config) applyDefaults() {
	if c.Storage.Dir == "" {
		c.Storage.Dir = DefaultDir
	}
	c.Storage.Dir = c.resolve(c.Storage.Dir)
	r := &c.Storage.Retention
	if r.Minutes == 0 {
		r.Minutes = Duration(100 * 24 * time.Hour)
	}
	if r.Hours == 0 {
		r.Hours = Duration(2 * 366 * 24 * time.Hour) // 2y
	}
	if r.Days == 0 {
		r.Days = Forever
	}
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if c.Agent.Spool.MaxBytes == 0 {
		c.Agent.Spool.MaxBytes = DefaultSpoolBytes
	}
	for i := range c.Services {
		s := &c.Services[i]
		if s.MaxRoutes == 0 {
			s.MaxRoutes = DefaultMaxRoutes
		}
		if s.MaxHosts == 0 {
			s.MaxHosts = DefaultMaxHosts
		}
		if s.Latency == "" {
			s.Latency = "request_time"
		}
		for j := range s.Logs {
			if s.Logs[j].Path != "" && s.Logs[j].Path != "-" {
				s.Logs[j].Path = c.resolve(s.Logs[j].Path)
			}
			if s.Logs[j].Format == "" && s.Logs[j].LogFormat == "" {
				s.Logs[j].Format = "combined"
			}
		}
	}
	for i := range c.SLOs {
		if c.SLOs[i].SLI.Type == Availability && c.SLOs[i].SLI.BadStatus.IsZero() {
			c.SLOs[i].SLI.BadStatus = parseStatusSet([]string{"5xx"})
		}
	}
}

func (c *Config) resolve(p string) string {
	if c.Path == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// Service returns the service named name, or nil.
func (c *Config) Service(name string) *Service {
	for i := range c.Services {
		if c.Services[i].Name == name {
			return &c.Services[i]
		}
	}
	return nil
}

// ServiceNames lists the configured services' names, in order, each once.
func (c *Config) ServiceNames() []string {
	out := make([]string, 0, len(c.Services))
	for _, s := range c.Services {
		if !slices.Contains(out, s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// CheckService returns nil when name is a configured service, else an
// error that lists the configured ones (and the one meant, when name looks
// like a typo of it).
func (c *Config) CheckService(name string) error {
	if c.Service(name) != nil {
		return nil
	}
	names := c.ServiceNames()
	if len(names) == 0 {
		return fmt.Errorf("unknown service %q (no services are configured)", name)
	}
	if s, ok := Closest(name, names); ok {
		return fmt.Errorf("unknown service %q (did you mean %q? configured: %s)", name, s, strings.Join(names, ", "))
	}
	return fmt.Errorf("unknown service %q (configured: %s)", name, strings.Join(names, ", "))
}

// SLOsOf returns the SLOs of a service.
func (c *Config) SLOsOf(service string) []SLO {
	var out []SLO
	for _, s := range c.SLOs {
		if s.Service == service {
			out = append(out, s)
		}
	}
	return out
}

// LatencyThresholdsMs returns the latency thresholds of a service's SLOs in
// whole milliseconds, so ingest can make counts at them exact.
func (c *Config) LatencyThresholdsMs(service string) []uint32 {
	var out []uint32
	for _, s := range c.SLOsOf(service) {
		if s.SLI.Type == Latency {
			out = append(out, uint32(time.Duration(s.SLI.Threshold)/time.Millisecond))
		}
	}
	return out
}

// ObjectiveRatio returns the objective as a ratio (99.9 → 0.999).
func (s *SLO) ObjectiveRatio() float64 { return s.Objective / 100 }
