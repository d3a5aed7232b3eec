package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadGood(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Storage.Dir, filepath.Join("testdata", "headroom-data"); got != want {
		t.Errorf("storage.dir = %q, want %q (relative to the config file)", got, want)
	}
	if got := c.SLOs[0].SLI.BadStatus; !got.Contains(500) || !got.Contains(599) || got.Contains(429) {
		t.Errorf("default bad_status = %v, want 5xx", got)
	}
	if got := c.SLOs[2].Filter.Method; !cmp.Equal(got, StringList{"POST"}) {
		t.Errorf("scalar method = %v, want [POST]", got)
	}
	if got := c.LatencyThresholdsMs("web"); !cmp.Equal(got, []uint32{300}) {
		t.Errorf("thresholds = %v, want [300]", got)
	}
	if got := time.Duration(c.Storage.Retention.Minutes); got != 100*24*time.Hour {
		t.Errorf("default minute retention = %v", got)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], `latency SLO "api-latency": logs[0] of service "web"`) {
		t.Errorf("warnings = %q, want one about the combined format's missing latency", w)
	}
	if c.Server.Listen != DefaultListen {
		t.Errorf("listen = %q", c.Server.Listen)
	}
}

func TestLoadBadListsEveryProblem(t *testing.T) {
	_, err := Load("testdata/bad.yaml")
	if err == nil {
		t.Fatal("bad config accepted")
	}
	// The decoder's problems (unknown keys, bad values) come first, then
	// every problem of what did decode.
	for _, want := range []string{
		"testdata/bad.yaml:3: storage.retention.minutes: \"soon\" is not a duration",
		"testdata/bad.yaml:9: services[0].logs[0]: unknown key `colour` (known keys: path, format, log_format, escape, wrapper, follow_symlinks)",
		`testdata/bad.yaml:19: slos[0].service: unknown service "nope"`,
		`testdata/bad.yaml:32: slos[2].sli.type: "speed": want availability, latency, web_vital, js_errors, browser_api or composite`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestValidateListsEveryProblemWithLines(t *testing.T) {
	b, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Without the decode errors, every semantic problem is reported at once.
	b = []byte(strings.NewReplacer("  retention: {minutes: soon}\n", "", "        colour: blue\n", "").Replace(string(b)))
	_, err = Parse(b, "bad.yaml")
	if err == nil {
		t.Fatal("bad config accepted")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`bad.yaml:7: services[0].logs[0].format: unknown preset "combind": want combined, main, common, ingress-nginx, nginx-ingress or json (or paste your log_format)`,
		`bad.yaml:8: services[1].name: duplicate service "web"`,
		`bad.yaml:11: services[1].logs[0].log_format: the format has no time: add $time_local, $time_iso8601 or $msec`,
		"bad.yaml:13: services[1].exclude[0].route: bad regexp: error parsing regexp: missing closing ): `^/health(`",
		`bad.yaml:14: services[1].exclude[1]: empty rule: set route, user_agent, host, method or status`,
		`bad.yaml:17: slos[0].service: unknown service "nope" (configured: web)`,
		`bad.yaml:18: slos[0].objective: 100: want a percentage above 0 and below 100, like 99.9`,
		`bad.yaml:19: slos[0].window: window "5m": must be at least 1h`,
		`bad.yaml:21: slos[1].name: duplicate SLO "a"`,
		`bad.yaml:25: slos[1].filter.status: "5x": want a status (404), class (5xx) or range (500-504)`,
		`bad.yaml:26: slos[1].sli.threshold: required for latency SLIs (like 300ms)`,
		`bad.yaml:27: slos[2].window: required (like 28d, month or quarter)`,
		`bad.yaml:30: slos[2].sli.type: "speed": want availability, latency, web_vital, js_errors, browser_api or composite`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestStatusSet(t *testing.T) {
	s, err := ParseStatusSet([]string{"5xx", "429", "300-302"})
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[int]bool{500: true, 599: true, 429: true, 301: true, 303: false, 404: false, 0: false} {
		if s.Contains(code) != want {
			t.Errorf("Contains(%d) = %v, want %v", code, !want, want)
		}
	}
	for _, bad := range []string{"5x", "99", "1000", "505-500", "abc"} {
		if _, err := ParseStatusSet([]string{bad}); err == nil {
			t.Errorf("ParseStatusSet(%q) accepted", bad)
		}
	}
}

func TestEmptyConfig(t *testing.T) {
	_, err := Parse(nil, "empty.yaml")
	if err == nil || !strings.Contains(err.Error(), "services: at least one service is required") {
		t.Errorf("err = %v", err)
	}
}

// TestNonFiniteFloats: YAML reads .nan and .inf as numbers, and NaN passes
// every range check; every float of the config refuses them, each with its
// line, all at once, and only once.
func TestNonFiniteFloats(t *testing.T) {
	b := []byte(`services:
  - name: web
    logs: [{path: /var/log/nginx/access.log, format: combined}]
slos:
  - name: avail
    service: web
    objective: .nan
    window: 28d
    sli: {type: availability}
    alerting:
      min_events: .inf
      tiers: [{name: page-1h, budget_share: -.Inf}]
alerting: {min_events: .NaN}
policy: [{below: .inf, action: freeze, freeze: true}]
changes: {failed_share: -.inf}
sprints:
  start: 2025-03-03
  capacity: {people: .nan, hours: 60, spare: 20}
`)
	_, err := Parse(b, "nan.yaml")
	if err == nil {
		t.Fatal("config with NaN and infinities accepted")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`nan.yaml:7: slos[0].objective: .nan: want a finite number`,
		`nan.yaml:11: slos[0].alerting.min_events: .inf: want a finite number`,
		`nan.yaml:12: slos[0].alerting.tiers[0].budget_share: -.Inf: want a finite number`,
		`nan.yaml:13: alerting.min_events: .NaN: want a finite number`,
		`nan.yaml:14: policy[0].below: .inf: want a finite number`,
		`nan.yaml:15: changes.failed_share: -.inf: want a finite number`,
		`nan.yaml:18: sprints.capacity.people: .nan: want a finite number`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestRetentionInYears: the README's default, 2y, is a value the config
// takes (a y is 366 days).
func TestRetentionInYears(t *testing.T) {
	c, err := Parse([]byte(`services:
  - name: web
    logs: [{path: /var/log/nginx/access.log, format: combined}]
storage: {retention: {hours: 2y, days: 10y}}
`), "years.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := c.Storage.Retention
	if got, want := time.Duration(r.Hours), 732*24*time.Hour; got != want {
		t.Errorf("retention.hours 2y = %v, want %v", got, want)
	}
	if got, want := time.Duration(r.Days), 3660*24*time.Hour; got != want {
		t.Errorf("retention.days 10y = %v, want %v", got, want)
	}
}

// TestTierShortBeforeLong: a tier's short window, as written or as the
// default tier of that name has it, must be shorter than its long one;
// validate says so with the line, not only serve when it builds policies.
func TestTierShortBeforeLong(t *testing.T) {
	b := []byte(`services:
  - name: web
    logs: [{path: /var/log/nginx/access.log, format: combined}]
slos:
  - name: avail
    service: web
    objective: 99.9
    window: 28d
    sli: {type: availability}
    alerting:
      tiers:
        - {name: page-1h, short: 2h}
        - {name: page-6h, long: 20m}
        - {name: fast, severity: page, budget_share: 2, long: 1h, short: 1h}
        - {name: ticket-1d, short: 1h, long: 12h}
        - {name: ticket-3d, disabled: true, short: 5d}
`)
	_, err := Parse(b, "tiers.yaml")
	if err == nil {
		t.Fatal("tiers with short windows not shorter than long ones accepted")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		`tiers.yaml:12: slos[0].alerting.tiers[0].short: short window 2h must be shorter than long window 1h`,
		`tiers.yaml:13: slos[0].alerting.tiers[1].long: short window 30m must be shorter than long window 20m`,
		`tiers.yaml:14: slos[0].alerting.tiers[2].short: short window 1h must be shorter than long window 1h`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestAgentAndPush: an agent's config and a server taking pushes, with
// defaults, and every mistake in them listed at once.
func TestAgentAndPush(t *testing.T) {
	c, err := Parse([]byte(`
storage: {dir: /var/lib/headroom-agent}
agent:
  name: node-a
  push:
    - {url: "http://headroom-a:8080", token_env: HEADROOM_PUSH_TOKEN}
    - {url: "https://headroom-b.example.com", token_env: HEADROOM_PUSH_TOKEN}
  spool: {max_bytes: 512MiB}
services:
  - {name: shop, logs: [{path: /var/log/nginx/access.log}]}
`), "agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Agent.Name != "node-a" || len(c.Agent.Push) != 2 || c.Agent.Spool.MaxBytes != 512<<20 {
		t.Errorf("agent %+v", c.Agent)
	}
	c, err = Parse([]byte(`
agent: {push: [{url: "http://a:8080", token_env: T}]}
server: {push: {token_env: HEADROOM_PUSH_TOKEN}}
services: [{name: fed}]
`), "server.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Agent.Spool.MaxBytes != 1<<30 || c.Server.Push == nil {
		t.Errorf("defaults: spool %d, push %+v; want 1GiB and the push block", c.Agent.Spool.MaxBytes, c.Server.Push)
	}

	_, err = Parse([]byte(`
agent:
  name: "node a"
  push:
    - {url: "headroom-a:8080"}
server: {push: {}}
services: [{name: fed}]
`), "bad.yaml")
	want := []string{
		`bad.yaml:3: agent.name: "node a": want letters, digits, '.', '_' or '-'`,
		`bad.yaml:5: agent.push[0].url: "headroom-a:8080": want a server's base URL like http://headroom-a:8080`,
		`bad.yaml:5: agent.push[0].token_env: required: the environment variable holding the server's push token`,
		`bad.yaml:6: server.push.token_env: required: the environment variable holding the token agents push with`,
	}
	if err == nil {
		t.Fatal("bad agent config accepted")
	}
	got := strings.Split(err.Error(), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"-5", "10XB", "0", "GiB"} {
		if _, err := Parse([]byte("agent: {spool: {max_bytes: "+bad+"}}\nservices: [{name: s, logs: [{path: a.log}]}]\n"), "s.yaml"); err == nil {
			t.Errorf("max_bytes %q accepted", bad)
		}
	}
}

// TestWrapper: logs[].wrapper takes cri, docker or none (the default);
// anything else names the field, its line and the values it takes, and
// the Kubernetes presets are formats like the others.
func TestWrapper(t *testing.T) {
	b := []byte(`services:
  - name: web
    logs:
      - {path: /var/log/containers/ingress-nginx-controller-*.log, format: ingress-nginx, wrapper: cri}
      - {path: /var/log/containers/nginx-ingress-*.log, format: nginx-ingress, wrapper: docker}
      - {path: /var/log/nginx/access.log, format: combined}
      - {path: /var/log/nginx/other.log, format: combined, wrapper: none}
`)
	c, err := Parse(b, "wrap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Services[0].Logs {
		w, err := l.Wrap()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Compile(); err != nil {
			t.Fatalf("%s: %v", l.Format, err)
		}
		got = append(got, w.String())
	}
	if diff := cmp.Diff([]string{"cri", "docker", "none", "none"}, got); diff != "" {
		t.Errorf("wrappers (-want +got):\n%s", diff)
	}

	b = []byte(`services:
  - name: web
    logs:
      - path: /var/log/containers/x.log
        format: ingress-nginx
        wrapper: containerd
`)
	_, err = Parse(b, "wrap.yaml")
	want := `wrap.yaml:6: services[0].logs[0].wrapper: unknown wrapper "containerd": want cri (containerd, CRI-O), docker (json-file) or none`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// TestSharedLogs: a log listed under several services is one log
// (Logs), in the config's order; listings that would read it another way,
// a log listed twice in one service, and matches that could take nothing
// are problems, each naming where it is and, for a shared log, the other
// listing.
func TestSharedLogs(t *testing.T) {
	b := []byte(`services:
  - name: api
    logs:
      - {path: /var/log/pods/*/controller/*.log, format: ingress-nginx, wrapper: cri}
      - {path: /var/log/nginx/api.log, format: ingress-nginx}
    match: {upstream: ^shop-api-}
  - name: web
    logs:
      - {path: /var/log/pods/*/controller/*.log, format: ingress-nginx, wrapper: cri, escape: default}
    match: {upstream: ^shop-web-, route: ^/}
  - name: all
    logs:
      - {path: /var/log/nginx/api.log, format: ingress-nginx}
`)
	c, err := Parse(b, "shared.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Logs() {
		got = append(got, fmt.Sprintf("%s %v", l.Path, l.Refs))
	}
	want := []string{"/var/log/pods/*/controller/*.log [{0 0} {1 0}]", "/var/log/nginx/api.log [{0 1} {2 0}]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	if m := c.Services[1].Match; m.Upstream.Regexp().String() != "^shop-web-" || m.Route.Regexp() == nil || m.Host.Regexp() != nil {
		t.Errorf("web's match %+v", m)
	}

	b = []byte(`services:
  - name: api
    logs:
      - {path: /var/log/pods/*/controller/*.log, format: ingress-nginx, wrapper: cri}
    match: {upstream: ^shop-api-}
  - name: web
    logs:
      - {path: /var/log/pods/*/controller/*.log, format: ingress-nginx}
    match: {upstream: "^shop-(web"}
  - name: admin
    logs:
      - {path: /var/log/nginx/access.log}
      - {path: /var/log/nginx/access.log}
    match: {upstream: ^admin-, host: ^admin\.}
  - name: empty
    logs: [{path: /var/log/nginx/x.log}]
    match: {}
  - name: cart
    logs: [{path: /var/log/nginx/cart.log, log_format: '$host [$time_local] "$request" $status'}]
    match: {host: ^cart\.}
  - name: nologs
    match: {route: ^/}
server: {push: {token_env: T}}
`)
	_, err = Parse(b, "shared.yaml")
	if err == nil {
		t.Fatal("accepted")
	}
	wantErrs := []string{
		`shared.yaml:9: services[1].match.upstream: bad regexp: error parsing regexp: missing closing ): ` + "`^shop-(web`",
		`shared.yaml:14: services[2].match.upstream: logs[0] (/var/log/nginx/access.log, format combined) has no $proxy_upstream_name, so no line of it would match: use format: ingress-nginx, or a log_format with $proxy_upstream_name`,
		`shared.yaml:14: services[2].match.host: logs[0] (/var/log/nginx/access.log, format combined) has no $host, $http_host or $server_name, so no line of it would match: add $host to its log_format`,
		`shared.yaml:14: services[2].match.upstream: logs[1] (/var/log/nginx/access.log, format combined) has no $proxy_upstream_name, so no line of it would match: use format: ingress-nginx, or a log_format with $proxy_upstream_name`,
		`shared.yaml:14: services[2].match.host: logs[1] (/var/log/nginx/access.log, format combined) has no $host, $http_host or $server_name, so no line of it would match: add $host to its log_format`,
		`shared.yaml:17: services[3].match: empty: set upstream, host or route (a service without match takes every line of its logs)`,
		`shared.yaml:22: services[5].match: the service has no logs to take lines from`,
		`shared.yaml:8: services[1].logs[0]: /var/log/pods/*/controller/*.log is also a log of service "api" (services[0].logs[0], format ingress-nginx, wrapper cri) but is read here with format ingress-nginx: a log listed under several services is read once, for all of them, so every listing must read it the same way (format or log_format, escape, wrapper, follow_symlinks)`,
		`shared.yaml:13: services[2].logs[1].path: /var/log/nginx/access.log is listed twice in service "admin" (also services[2].logs[0])`,
	}
	if diff := cmp.Diff(wantErrs, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestFollowSymlinks: logs[].follow_symlinks defaults to true for
// container logs (a wrapper) and false for plain ones; set, it wins; two
// listings of one log that follow links differently are a problem.
func TestFollowSymlinks(t *testing.T) {
	c, err := Parse([]byte(`services:
  - name: web
    logs:
      - {path: /var/log/containers/a-*.log, format: ingress-nginx, wrapper: cri}
      - {path: /var/log/containers/b-*.log, format: nginx-ingress, wrapper: docker}
      - {path: /var/log/nginx/access.log}
      - {path: /var/log/containers/c-*.log, format: ingress-nginx, wrapper: CRI, follow_symlinks: false}
      - {path: /srv/logs/access.log, follow_symlinks: true}
`), "follow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, l := range c.Services[0].Logs {
		got = append(got, l.Follow())
	}
	if diff := cmp.Diff([]bool{true, true, false, false, true}, got); diff != "" {
		t.Errorf("follow (-want +got):\n%s", diff)
	}
	_, err = Parse([]byte(`services:
  - name: api
    logs: [{path: /var/log/containers/x-*.log, format: ingress-nginx, wrapper: cri}]
  - name: web
    logs: [{path: /var/log/containers/x-*.log, format: ingress-nginx, wrapper: cri, follow_symlinks: false}]
`), "follow.yaml")
	want := `follow.yaml:5: services[1].logs[0]: /var/log/containers/x-*.log is also a log of service "api" (services[0].logs[0], format ingress-nginx, wrapper cri) but is read here with format ingress-nginx, wrapper cri, follow_symlinks false`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
