package config

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Export configures the series serve and agent send to other monitoring
// systems as minutes close (docs/export.md).
type Export struct {
	RemoteWrite []RemoteWrite `yaml:"remote_write"`
	Datadog     *Datadog      `yaml:"datadog"`
	// Settle is how long after a minute closes its sample is sent (default
	// 30s): data of the minute arriving later goes into the next sample.
	Settle Duration `yaml:"settle"`
	// Queue bounds the samples kept on disk per target while it is down
	// (default 256MiB for remote write, 64MiB for Datadog).
	Queue ExportQueue `yaml:"queue"`
}

// ExportQueue bounds an export target's on-disk queue.
type ExportQueue struct {
	MaxBytes *ByteSize `yaml:"max_bytes"` // nil: the target's default
}

// RemoteWrite is a Prometheus remote write 1.0 receiver.
type RemoteWrite struct {
	URL            string            `yaml:"url"`
	BearerTokenEnv string            `yaml:"bearer_token_env"`
	BasicAuth      *BasicAuth        `yaml:"basic_auth"`
	Headers        map[string]string `yaml:"headers"`
}

// BasicAuth is a user name and the environment variable holding its
// password.
type BasicAuth struct {
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
}

// Datadog is where serve and agent push per-minute counts to Datadog.
type Datadog struct {
	// Site is the Datadog site (default datadoghq.com): the API is at
	// https://api.<site>.
	Site string `yaml:"site"`
	// URL, instead of Site, is a base URL the series API is under
	// ({url}/api/v1/series).
	URL       string `yaml:"url"`
	APIKeyEnv string `yaml:"api_key_env"`
}

// DefaultSettle is how long after a minute closes its sample is sent.
const DefaultSettle = 30 * time.Second

// SettleDelay returns export.settle or its default.
func (e Export) SettleDelay() time.Duration {
	if e.Settle > 0 {
		return time.Duration(e.Settle)
	}
	return DefaultSettle
}

// BaseURL returns the base URL the series API is under.
func (d *Datadog) BaseURL() string {
	if d.URL != "" {
		return d.URL
	}
	site := d.Site
	if site == "" {
		site = "datadoghq.com"
	}
	return "https://api." + site
}

func (v *validator) export() {
	e := v.c.Export
	if s := time.Duration(e.Settle); s < 0 || s > 10*time.Minute {
		v.add("export.settle", "%v: want 0s to 10m", s)
	}
	seen := map[string]int{}
	for i, r := range e.RemoteWrite {
		p := fmt.Sprintf("export.remote_write[%d]", i)
		if j, dup := seen[r.URL]; dup && r.URL != "" {
			// One queue per URL: two entries would share it.
			v.add(p+".url", "%q: the same as export.remote_write[%d]'s", r.URL, j)
		}
		seen[r.URL] = i
		if u, err := url.Parse(r.URL); r.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", "%q: want the receiver's URL like http://victoria:8428/api/v1/write", r.URL)
		}
		if r.BearerTokenEnv != "" && r.BasicAuth != nil {
			v.add(p, "set bearer_token_env or basic_auth, not both")
		}
		if b := r.BasicAuth; b != nil {
			if b.Username == "" {
				v.add(p+".basic_auth.username", "required")
			}
			if b.PasswordEnv == "" {
				v.add(p+".basic_auth.password_env", "required: the environment variable holding the password")
			}
		}
		for h := range r.Headers {
			switch http.CanonicalHeaderKey(h) {
			case "Authorization", "Content-Type", "Content-Encoding", "X-Prometheus-Remote-Write-Version":
				v.add(p+".headers", "%q: set by headroom (use bearer_token_env or basic_auth for Authorization)", h)
			}
		}
	}
	if d := e.Datadog; d != nil {
		if d.Site != "" && d.URL != "" {
			v.add("export.datadog", "set site or url, not both")
		}
		if d.URL != "" {
			if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.add("export.datadog.url", "%q: want a base URL like https://api.datadoghq.eu", d.URL)
			}
		}
		if d.APIKeyEnv == "" {
			v.add("export.datadog.api_key_env", "required: the environment variable holding the API key")
		}
	}
}
