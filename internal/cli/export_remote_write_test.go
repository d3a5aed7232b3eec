package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang/snappy"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/prompb"
)

// TestExportRemoteWrite: the backfill sends every stored minute's SLO
// counters to a receiver, ending at headroom's totals; a wrong --url or an
// unset token variable is a usage error naming the flag.
func TestExportRemoteWrite(t *testing.T) {
	cfg, _ := writeFixture(t, baseSLOs)
	if r := run(t, "", "import", "--config", cfg); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	var mu sync.Mutex
	last := map[string]float64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		raw, err := snappy.Decode(nil, body)
		var wr prompb.WriteRequest
		if err == nil {
			err = wr.Unmarshal(raw)
		}
		if err != nil || r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, ts := range wr.Timeseries {
			var name, slo, result string
			for _, l := range ts.Labels {
				switch l.Name {
				case "__name__":
					name = l.Value
				case "slo":
					slo = l.Value
				case "result":
					result = l.Value
				}
			}
			if name == "headroom_slo_events_total" {
				last[slo+"/"+result] = ts.Samples[len(ts.Samples)-1].Value
			}
		}
	}))
	defer srv.Close()
	t.Setenv("TEST_RW_TOKEN", "s3cret")
	const at = "2026-11-20T12:00:00Z"
	r := run(t, "", "export", "remote-write", "--config", cfg, "--url", srv.URL+"/api/v1/write", "--bearer-token-env", "TEST_RW_TOKEN", "--to", at)
	if r.code != 0 || !strings.Contains(r.stdout, "sent ") {
		t.Fatalf("export remote-write: %+v", r)
	}
	st := run(t, "", "status", "--config", cfg, "--at", at, "--json")
	var rep struct {
		SLOs []struct {
			Name      string
			Good, Bad float64
		} `json:"slos"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil || len(rep.SLOs) != 2 {
		t.Fatalf("status --json: %v %+v", err, st)
	}
	want := map[string]float64{}
	for _, s := range rep.SLOs {
		want[s.Name+"/good"], want[s.Name+"/bad"] = s.Good, s.Bad
	}
	mu.Lock()
	if d := cmp.Diff(want, last); d != "" || want["avail/bad"] == 0 {
		t.Errorf("last samples received (-status +received):\n%s", d)
	}
	mu.Unlock()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", "victoria:8428"}, "--url: want the receiver's URL"},
		{[]string{"--url", srv.URL, "--bearer-token-env", "TEST_RW_UNSET"}, "environment variable TEST_RW_UNSET is unset or empty"},
	} {
		r := run(t, "", append([]string{"export", "remote-write", "--config", cfg}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: %+v, want an error saying %q", c.args, r, c.want)
		}
	}
}
