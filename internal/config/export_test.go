package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExportListsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
export:
  settle: 20m
  remote_write:
    - url: victoria:8428
    - url: http://mimir/api/v1/push
      bearer_token_env: T
      basic_auth: {username: u}
      headers: {authorization: x, X-Scope-OrgID: a}
    - url: http://mimir/api/v1/push
  datadog: {site: datadoghq.eu, url: "http://x"}
`), "h.yaml")
	if err == nil {
		t.Fatal("bad export section accepted")
	}
	want := []string{
		`h.yaml:3: export.settle: 20m0s: want 0s to 10m`,
		`h.yaml:5: export.remote_write[0].url: "victoria:8428": want the receiver's URL like http://victoria:8428/api/v1/write`,
		`h.yaml:6: export.remote_write[1]: set bearer_token_env or basic_auth, not both`,
		`h.yaml:8: export.remote_write[1].basic_auth.password_env: required: the environment variable holding the password`,
		`h.yaml:9: export.remote_write[1].headers: "authorization": set by headroom (use bearer_token_env or basic_auth for Authorization)`,
		`h.yaml:10: export.remote_write[2].url: "http://mimir/api/v1/push": the same as export.remote_write[1]'s`,
		`h.yaml:11: export.datadog: set site or url, not both`,
		`h.yaml:11: export.datadog.api_key_env: required: the environment variable holding the API key`,
	}
	if d := cmp.Diff(want, strings.Split(err.Error(), "\n")); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestExportGood(t *testing.T) {
	c, err := Parse([]byte(`services: [{name: web, logs: [{path: /var/log/nginx/access.log}]}]
export:
  remote_write: [{url: "http://127.0.0.1:8428/api/v1/write", basic_auth: {username: u, password_env: P}, headers: {X-Scope-OrgID: a}}]
  datadog: {api_key_env: DD_API_KEY}
  queue: {max_bytes: 1GiB}
`), "h.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Export.Datadog.BaseURL(); got != "https://api.datadoghq.com" {
		t.Errorf("datadog base URL %q", got)
	}
	if c.Export.SettleDelay() != DefaultSettle || c.Export.Queue.MaxBytes == nil || *c.Export.Queue.MaxBytes != 1<<30 {
		t.Errorf("settle %v, queue %v", c.Export.SettleDelay(), c.Export.Queue)
	}
}
