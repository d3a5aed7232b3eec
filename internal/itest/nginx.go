package itest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts for nginx start, stop, log reopen and log lines to appear. They are
// deadlines, not sleeps: every wait polls a short ticker and returns as soon
// as the condition holds.
const (
	nginxStartTimeout = 10 * time.Second
	nginxStopTimeout  = 5 * time.Second
	nginxWaitTimeout  = 10 * time.Second
	pollInterval      = 5 * time.Millisecond
)

// readyPath answers 204 without writing an access-log line, so waiting for
// nginx to come up adds nothing to the log under test.
const readyPath = "/_itest/ready"

// NginxOptions configures StartNginx. The zero value proxies location / to a
// fresh StartUpstream server and logs in the combined format.
type NginxOptions struct {
	// LogFormat is the body of `log_format headroom`, exactly as the
	// variables would appear between the quotes in nginx.conf. Empty means
	// the combined format.
	LogFormat string
	// Escape is the log_format escape= parameter: "default", "json", "none",
	// or empty to leave it out.
	Escape string
	// AccessLogParams are appended to the access_log directive, such as
	// "buffer=4k flush=1s".
	AccessLogParams string
	// Upstream is the URL `location /` proxies to with proxy_pass. Empty
	// starts one with StartUpstream.
	Upstream string
	// DeadUpstream adds `location /dead/`, proxied to a closed port on
	// 127.0.0.1, so every request under /dead/ gets a 502.
	DeadUpstream bool
	// HTTPDirectives are added inside http {}.
	HTTPDirectives string
	// ServerDirectives are added inside server {}, before the locations.
	ServerDirectives string
}

// CombinedFormat is nginx's predefined combined log format.
const CombinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// Nginx is a running nginx master process with one worker, listening on
// 127.0.0.1, started by StartNginx.
type Nginx struct {
	Dir       string // prefix directory: conf/nginx.conf, logs/, tmp/, nginx.pid
	AccessLog string // Dir/logs/access.log, written with the `headroom` format
	ErrorLog  string // Dir/logs/error.log, at level notice
	URL       string // http://127.0.0.1:Port, no trailing slash
	Port      int
	Upstream  string // the URL location / proxies to

	cmd      *exec.Cmd
	done     chan struct{} // closed when the master process has exited
	waitErr  error         // cmd.Wait's result, set before done is closed
	stopOnce sync.Once
}

// StartNginx writes a configuration into a new t.TempDir(), starts
// `nginx -p DIR -e logs/error.log -c conf/nginx.conf -g 'daemon off;'`, waits
// until it answers, and stops it in t.Cleanup (SIGQUIT, then SIGKILL after 5
// s). Call Require(t, "nginx") first.
func StartNginx(t testing.TB, opts NginxOptions) *Nginx {
	t.Helper()
	bin, err := LookPath("nginx")
	if err != nil {
		t.Fatalf("nginx: %v (call itest.Require(t, \"nginx\") first)", err)
	}
	if opts.Upstream == "" {
		opts.Upstream = StartUpstream(t).URL
	}
	dir := t.TempDir()
	for _, sub := range []string{"conf", "logs", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("nginx: %v", err)
		}
	}
	port := FreePort(t)
	deadPort := 0
	if opts.DeadUpstream {
		deadPort = FreePort(t)
	}
	conf := nginxConf(dir, port, deadPort, os.Geteuid() == 0, opts)
	if err := os.WriteFile(filepath.Join(dir, "conf", "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatalf("nginx: %v", err)
	}

	n := &Nginx{
		Dir:       dir,
		AccessLog: filepath.Join(dir, "logs", "access.log"),
		ErrorLog:  filepath.Join(dir, "logs", "error.log"),
		URL:       "http://127.0.0.1:" + strconv.Itoa(port),
		Port:      port,
		Upstream:  opts.Upstream,
		done:      make(chan struct{}),
	}
	stderr, err := os.Create(filepath.Join(dir, "logs", "stderr.log"))
	if err != nil {
		t.Fatalf("nginx: %v", err)
	}
	defer stderr.Close() // the child keeps its own descriptor
	n.cmd = exec.Command(bin, "-p", dir+"/", "-e", "logs/error.log", "-c", "conf/nginx.conf", "-g", "daemon off;")
	n.cmd.Dir = dir
	n.cmd.Stdout = stderr
	n.cmd.Stderr = stderr
	n.cmd.SysProcAttr = procAttr()
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("nginx: start: %v", err)
	}
	go func() {
		n.waitErr = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		n.Stop(t)
		if t.Failed() {
			n.logDiagnostics(t)
		}
	})

	if err := n.waitReady(); err != nil {
		t.Fatalf("nginx: %v", err)
	}
	return n
}

func (n *Nginx) waitReady() error {
	return waitReady(&http.Client{Timeout: time.Second}, n.URL+readyPath, http.StatusNoContent, pollInterval, nginxStartTimeout,
		n.done, func() error { return n.waitErr })
}

// Stop shuts nginx down gracefully (SIGQUIT), or kills its process group
// after 5 s. It is safe to call more than once; t.Cleanup calls it too.
func (n *Nginx) Stop(t testing.TB) {
	t.Helper()
	n.stopOnce.Do(func() {
		select {
		case <-n.done:
			return
		default:
		}
		// A slow graceful shutdown is nginx waiting on a client, not a
		// failure of what the test checks.
		stopProc(t, "nginx", n.cmd, n.done, syscall.SIGQUIT, nginxStopTimeout, t.Logf)
	})
}

// Reopen sends SIGUSR1, which makes nginx reopen its log files (as logrotate
// does after renaming them), and returns once the master and the worker have
// reopened: a request sent after Reopen returns is logged to the new file.
func (n *Nginx) Reopen(t testing.TB) {
	t.Helper()
	// Master and worker each log "reopening logs" at notice level; the
	// worker logs it right before reopening, and handles no request until
	// it has, so seeing both lines is enough.
	const marker = "reopening logs"
	before := n.countErrorLog(t, marker)
	if err := n.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatalf("nginx: SIGUSR1: %v", err)
	}
	n.waitFor(t, "logs reopened", func() bool { return n.countErrorLog(t, marker) >= before+2 })
}

// WaitLogLines waits until the access log has at least want complete lines
// and returns all of them, without their newlines. nginx writes a line after
// the response is sent, so a test must wait rather than read the log at once.
func (n *Nginx) WaitLogLines(t testing.TB, want int) []string {
	t.Helper()
	var lines []string
	n.waitFor(t, fmt.Sprintf("%d lines in %s", want, n.AccessLog), func() bool {
		lines = ReadLines(t, n.AccessLog)
		return len(lines) >= want
	})
	return lines
}

// WaitLines waits until the file at path has at least want complete lines
// and returns all of them, without their newlines.
func WaitLines(t testing.TB, path string, want int) []string {
	t.Helper()
	deadline := time.NewTimer(nginxWaitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		lines := ReadLines(t, path)
		if len(lines) >= want {
			return lines
		}
		select {
		case <-deadline.C:
			t.Fatalf("%s: %d lines after %v, want %d", path, len(lines), nginxWaitTimeout, want)
			return nil
		case <-tick.C:
		}
	}
}

// ReadLines returns the complete lines of a file, without their newlines; a
// missing file has none.
func ReadLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	} else {
		return nil
	}
	return strings.Split(string(b), "\n")
}

func (n *Nginx) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(nginxWaitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for !cond() {
		select {
		case <-n.done:
			if !cond() {
				t.Fatalf("nginx: exited while waiting for %s: %v", what, n.waitErr)
			}
			return
		case <-deadline.C:
			t.Fatalf("nginx: no %s after %v", what, nginxWaitTimeout)
		case <-tick.C:
		}
	}
}

func (n *Nginx) countErrorLog(t testing.TB, s string) int {
	t.Helper()
	b, err := os.ReadFile(n.ErrorLog)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("nginx: %v", err)
	}
	return bytes.Count(b, []byte(s))
}

func (n *Nginx) logDiagnostics(t testing.TB) {
	t.Helper()
	for _, name := range []string{"stderr.log", "error.log"} {
		if b, err := os.ReadFile(filepath.Join(n.Dir, "logs", name)); err == nil && len(b) > 0 {
			t.Logf("nginx %s:\n%s", name, b)
		}
	}
}

// nginxConf renders the configuration. asRoot adds `user root;` so that the
// worker, like the master, may write into the test's temporary directory;
// nginx ignores the user directive unless the master runs as root.
func nginxConf(dir string, port, deadPort int, asRoot bool, opts NginxOptions) string {
	format := opts.LogFormat
	if format == "" {
		format = CombinedFormat
	}
	escape := ""
	if opts.Escape != "" {
		escape = " escape=" + opts.Escape
	}
	accessParams := ""
	if opts.AccessLogParams != "" {
		accessParams = " " + opts.AccessLogParams
	}
	p := func(elem ...string) string { return quote(filepath.Join(append([]string{dir}, elem...)...)) }

	var b strings.Builder
	b.WriteString("# Written by itest.StartNginx.\n")
	if asRoot {
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, `worker_processes 1;
worker_shutdown_timeout 2s;
pid %s;
error_log %s notice;

events {
    worker_connections 256;
}

http {
    client_body_temp_path %s;
    proxy_temp_path %s;
    fastcgi_temp_path %s;
    uwsgi_temp_path %s;
    scgi_temp_path %s;

    log_format headroom%s %s;
    access_log %s headroom%s;
%s
    server {
        listen 127.0.0.1:%d;
        server_name localhost;
%s
        location = %s {
            access_log off;
            return 204;
        }

        location / {
            proxy_pass %s;
        }
`,
		p("nginx.pid"), p("logs", "error.log"),
		p("tmp", "client_body"), p("tmp", "proxy"), p("tmp", "fastcgi"), p("tmp", "uwsgi"), p("tmp", "scgi"),
		escape, quote(format), p("logs", "access.log"), accessParams,
		indent(opts.HTTPDirectives, "    "),
		port,
		indent(opts.ServerDirectives, "        "),
		readyPath,
		opts.Upstream,
	)
	if deadPort != 0 {
		fmt.Fprintf(&b, `
        location /dead/ {
            proxy_pass http://127.0.0.1:%d;
        }
`, deadPort)
	}
	b.WriteString("    }\n}\n")
	return b.String()
}

// quote makes s one single-quoted nginx configuration token.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func indent(s, prefix string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	var b strings.Builder
	for line := range strings.Lines(strings.TrimRight(s, "\n") + "\n") {
		b.WriteString(prefix + line)
	}
	return b.String()
}
