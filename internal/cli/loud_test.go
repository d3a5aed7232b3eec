package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/store"
)

// combinedLines returns n lines in the combined format, one every 6 s from
// 2026-11-20T10:00:00Z, every 20th a 503; extra is appended to each.
func combinedLines(n int, extra string) string {
	var b strings.Builder
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := range n {
		status := 200
		if i%20 == 0 {
			status = 503
		}
		fmt.Fprintf(&b, "10.0.0.%d - - [%s] \"GET /api/items/%d HTTP/1.1\" %d 100 \"-\" \"Mozilla/5.0 (X11)\"%s\n",
			i%250, start.Add(time.Duration(i)*6*time.Second).Format("02/Jan/2006:15:04:05 -0700"), i, status, extra)
	}
	return b.String()
}

// writeLogs writes files (name → content) and a config whose service web
// reads logs (the YAML list items under logs:) into a new directory.
func writeLogs(t *testing.T, files map[string]string, logs string) (cfg string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	cfg = filepath.Join(dir, "headroom.yaml")
	writeFile(t, cfg, "storage: {dir: ./data}\nservices:\n  - name: web\n    logs:\n"+logs+
		"slos:\n  - {name: avail, service: web, objective: 99, window: 28d, sli: {type: availability}}\n")
	return cfg
}

// storedFiles returns how many files the store of cfg knows.
func storedFiles(t *testing.T, cfg string) int {
	t.Helper()
	db := filepath.Join(filepath.Dir(cfg), "data")
	if _, err := os.Stat(filepath.Join(db, store.DBFile)); err != nil {
		return 0
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(srcs)
}

// containsAll fails the test for each of wants that got, the output named
// what, lacks.
func containsAll(t *testing.T, what, got string, wants []string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, got)
		}
	}
}

// TestImportFailsLoudly: a path matching no file and a file whose lines do
// not fit the format make import exit 1, naming the config field, the file
// and its lines; the other files are still imported, and a refused file is
// not stored, so that fixing the format and importing again just works.
func TestImportFailsLoudly(t *testing.T) {
	good := combinedLines(300, "")
	tests := []struct {
		name   string
		files  map[string]string
		logs   string
		args   []string
		code   int
		stderr []string // substrings
		stored int      // files the store knows after
		fix    string   // logs after fixing the config: import then succeeds
	}{
		{
			name:   "a configured path matching no file",
			files:  map[string]string{"access.log": good},
			logs:   "      - path: ./acces.log*\n        format: combined\n",
			code:   1,
			stderr: []string{"headroom.yaml:5: services[0].logs[0].path: no file matches ", "acces.log* (service web)", "1 path matched no file"},
			fix:    "      - path: ./access.log*\n        format: combined\n",
		},
		{
			name:   "one of two configured paths matching no file",
			files:  map[string]string{"access.log": good},
			logs:   "      - path: ./access.log\n        format: combined\n      - path: ./api.log\n        format: combined\n",
			code:   1,
			stderr: []string{"headroom.yaml:7: services[0].logs[1].path: no file matches ", "api.log (service web)"},
			stored: 1,
		},
		{
			name:   "a path argument matching no file",
			files:  map[string]string{"access.log": good},
			logs:   "      - path: ./access.log*\n        format: combined\n",
			args:   []string{"nope.log"},
			code:   1,
			stderr: []string{"nope.log: no such file", "1 path matched no file"},
		},
		{
			name:  "the json preset on a text log",
			files: map[string]string{"access.log": good},
			logs:  "      - path: ./access.log*\n        format: json\n",
			code:  1,
			stderr: []string{"access.log: refused, nothing imported: ", "headroom.yaml:6: services[0].logs[0].format (json): 100 of the first 100 lines of ",
				"access.log:1: line is not a JSON object: \"10.0.0.0 - - [20/Nov/2026:10:00:00 +0000]", "… and 99 more", "1 file refused"},
			fix: "      - path: ./access.log*\n        format: combined\n",
		},
		{
			name:  "main on a log with an extra field after the user agent",
			files: map[string]string{"access.log": combinedLines(300, " rt=0.123")},
			logs:  "      - path: ./access.log*\n        format: main\n",
			code:  1,
			stderr: []string{"services[0].logs[0].format (main): 100 of the first 100 lines", `access.log:1: expected "\" \"" after $http_user_agent: `,
				`(X11)\" rt=0.123"`},
			fix: "      - path: ./access.log*\n        log_format: '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" rt=$request_time'\n",
		},
		{
			name:  "combined on a main log",
			files: map[string]string{"access.log": combinedLines(300, ` "10.1.2.3"`)},
			logs:  "      - path: ./access.log*\n",
			code:  1,
			stderr: []string{"services[0].logs[0].format (combined): 100 of the first 100 lines",
				`access.log:1: unexpected text after the end of the format (it ends with $http_user_agent")`},
			fix: "      - path: ./access.log*\n        format: main\n",
		},
		{
			name:   "a few malformed lines among good ones",
			files:  map[string]string{"access.log": good[:len(good)/2] + "garbage\n" + good[len(good)/2:len(good)-30] + "\n"},
			logs:   "      - path: ./access.log*\n        format: combined\n",
			code:   0,
			stored: 1,
		},
		{
			name:   "a refused file does not stop the others",
			files:  map[string]string{"access.log": good, "access.log.1": "{\"status\":200}\n"},
			logs:   "      - path: ./access.log\n        format: combined\n",
			code:   1,
			stderr: []string{"access.log.1: refused, nothing imported", "1 of the first 1 lines", "1 file refused"},
			stored: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeLogs(t, tc.files, tc.logs)
			r := run(t, "", append([]string{"import", "--config", cfg}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			containsAll(t, "stderr", r.stderr, tc.stderr)
			if n := storedFiles(t, cfg); n != tc.stored {
				t.Errorf("the store knows %d files, want %d", n, tc.stored)
			}
			if tc.fix == "" {
				return
			}
			y, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, cfg, strings.Replace(string(y), tc.logs, tc.fix, 1))
			r = run(t, "", "import", "--config", cfg)
			if r.code != 0 || !strings.Contains(r.stdout, "lines      300 (") || !strings.Contains(r.stdout, "malformed  0\n") {
				t.Errorf("import after the fix: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestValidateLogs: validate tries the formats on the files. A file import
// would refuse is a problem (exit 1), naming the field, file and line; a
// path matching no file, or a few malformed lines, are warnings (exit 0).
func TestValidateLogs(t *testing.T) {
	good := combinedLines(300, "")
	tests := []struct {
		name     string
		files    map[string]string
		logs     string
		code     int
		stderr   []string
		noStderr bool
	}{
		{"good", map[string]string{"access.log": good}, "      - path: ./access.log*\n", 0, nil, true},
		{"no file yet", map[string]string{"access.log": good}, "      - path: ./acces.log*\n", 0,
			[]string{"warning: ", "headroom.yaml:5: services[0].logs[0].path: no file matches ", "acces.log* (service web): `import` fails until one does, `serve` waits for it"}, false},
		{"the json preset on a text log", map[string]string{"access.log": good}, "      - path: ./access.log*\n        format: json\n", 1,
			[]string{"headroom.yaml:6: services[0].logs[0].format (json): 100 of the first 100 lines of ", "access.log:1: line is not a JSON object: ",
				"(`import` refuses this file)", "1 problem found"}, false},
		{"a pasted log_format missing a field", map[string]string{"access.log": combinedLines(5, " 0.010")},
			"      - path: ./access.log*\n        log_format: '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"'\n", 1,
			[]string{"headroom.yaml:6: services[0].logs[0].log_format: 5 of the first 5 lines of ", "access.log:1: unexpected text after the end of the format"}, false},
		{"a rotated file in another format", map[string]string{"access.log": good, "access.log.1": combinedLines(10, ` "-"`)}, "      - path: ./access.log\n", 1,
			[]string{"10 of the first 10 lines of ", "access.log.1 do not fit the format", "access.log.1:1: "}, false},
		{"a few malformed lines", map[string]string{"access.log": "junk\n" + good}, "      - path: ./access.log\n", 0,
			[]string{"warning: ", "headroom.yaml:5: services[0].logs[0].format (combined): 1 of the first 100 lines of ", "(they count as malformed)",
				`access.log:1: expected " - " after $remote_addr: "junk"`}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeLogs(t, tc.files, tc.logs)
			r := run(t, "", "validate", "--config", cfg)
			if r.code != tc.code || (tc.code == 0) != strings.Contains(r.stdout, "ok (1 services, 1 SLOs)") {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			containsAll(t, "stderr", r.stderr, tc.stderr)
			if tc.noStderr && r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}
}

// TestServeWaitsForAMissingLog: a log matching no file is a warning of
// serve, which keeps running (the file may appear later).
func TestServeWaitsForAMissingLog(t *testing.T) {
	cfg := writeLogs(t, nil, "      - path: ./access.log\n")
	y, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, "server: {listen: \"127.0.0.1:0\"}\n"+string(y))
	stderr := &hostageWriter{trap: "Dashboard: ", caught: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ret := startServe(ctx, t, cfg, stderr) // serving
	close(stderr.release)
	cancel()
	if code := <-ret; code != 0 {
		t.Fatalf("serve: exit %d: %s", code, stderr.String())
	}
	if out := stderr.String(); !strings.Contains(out, `level=WARN msg="waiting for a log file to appear"`) ||
		!strings.Contains(out, `headroom.yaml:6: services[0].logs[0].path: no file matches `) {
		t.Errorf("serve's log does not warn about the missing log:\n%s", out)
	}
}
