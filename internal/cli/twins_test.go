package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vhostLog returns a vhost's log: the health check every vhost's log starts
// with (the same request at the same second), then n requests of its own.
func vhostLog(vhost string, n int) string {
	var b strings.Builder
	b.WriteString(`10.0.0.9 - - [20/Nov/2026:10:00:00 +0000] "GET /health HTTP/1.1" 200 2 "-" "probe"` + "\n")
	start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "10.0.0.1 - - [%s] \"GET /%s/%d HTTP/1.1\" 200 5 \"-\" \"t\"\n",
			start.Add(time.Duration(i)*time.Second).Format("02/Jan/2006:15:04:05 -0700"), vhost, i)
	}
	return b.String()
}

// TestImportTwinVhostLogs imports two vhost logs of one glob whose first
// line is the same: every line of both counts, once (issue 12, item 3).
func TestImportTwinVhostLogs(t *testing.T) {
	cfg := writeLogs(t, map[string]string{
		"a.access.log": vhostLog("a", 1100),
		"b.access.log": vhostLog("b", 1000),
	}, "      - {path: ./*.access.log, format: combined}\n")
	r := run(t, "", "import", "--config", cfg)
	containsAll(t, "first import", r.stdout, []string{"imported 2 files", "lines      2,102 ("})
	if r.code != 0 || strings.Contains(r.stdout, "already fully imported") {
		t.Fatalf("first import: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", "import", "--config", cfg)
	containsAll(t, "second import", r.stdout, []string{"(2 already fully imported: nothing added)", "lines      0 ("})
	rep := status(t, cfg)
	if len(rep.Sources) != 1 || rep.Sources[0].Lines != 2102 || rep.Sources[0].FilesRead != 2 || rep.Sources[0].BytesBehind != 0 {
		t.Errorf("status sources: %+v, want 2,102 lines from 2 files read whole", rep.Sources)
	}
	writeFile(t, filepath.Join(filepath.Dir(cfg), "b.access.log"), vhostLog("b", 1010))
	if rep := status(t, cfg); rep.Sources[0].BytesBehind == 0 {
		t.Errorf("status: b grew, nothing behind: %+v", rep.Sources)
	}
	r = run(t, "", "import", "--config", cfg)
	containsAll(t, "import after b grew", r.stdout, []string{"lines      10 ("})
}
