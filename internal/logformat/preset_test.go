package logformat

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Lines of the ingress-nginx controller in its default format, as it logs
// them: a request to a service, one retried on another endpoint, one the
// default backend answered, a TLS handshake on the HTTP port nginx answered
// itself, and one sent to a canary.
const (
	ingressLine = `192.168.65.3 - - [14/Nov/2023:22:13:20 +0000] "GET /api/v1/orders?limit=20 HTTP/1.1" 200 5123 ` +
		`"https://shop.example.com/cart" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36" ` +
		`512 0.031 [shop-orders-8080] [] 10.244.1.17:8080 5123 0.030 200 6f1b9d0c8e2a4f7b9c3d2e1f0a9b8c7d`
	ingressRetried = `10.0.4.1 - - [14/Nov/2023:22:13:21 +0000] "POST /api/v1/checkout HTTP/2.0" 200 88 "-" "curl/8.4.0" ` +
		`733 0.412 [shop-checkout-80] [] 10.244.2.9:8080, 10.244.1.4:8080 0, 88 0.201, 0.210 502, 200 0b4f6a1c9d8e7f6a5b4c3d2e1f0a9b8c`
	ingressDefault = `10.0.4.1 - alice [14/Nov/2023:22:13:22 +0000] "GET /favicon.ico HTTP/1.1" 404 548 "-" "Mozilla/5.0" ` +
		`389 0.001 [upstream-default-backend] [] 127.0.0.1:8181 548 0.000 404 5c1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e`
	ingressNoUpstream = `10.0.4.2 - - [14/Nov/2023:22:13:23 +0000] "\x16\x03\x01\x00\xF8\x01\x00\x00\xF4\x03\x03" 400 150 "-" "-" ` +
		`0 0.063 [] [] - - - - 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d`
	ingressCanary = `10.0.4.3 - - [14/Nov/2023:22:13:24 +0100] "GET /api/v1/orders/42 HTTP/1.1" 503 190 "-" "k6/0.47.0" ` +
		`244 1.250 [shop-orders-8080] [shop-orders-canary-8080] 10.244.3.2:8080 190 1.249 503 0d0e0f1a2b3c4d5e6f7a8b9c0d1e2f3a`
	// nginxIncLine is NGINX Inc.'s controller's default (main) format.
	nginxIncLine = `10.0.0.7 - - [14/Nov/2023:22:13:20 +0000] "GET /coffee HTTP/1.1" 200 159 "-" "curl/7.81.0" "203.0.113.9"`
)

func TestPresetIngressNginx(t *testing.T) {
	p := mustPreset(t, "ingress-nginx")
	tests := []struct {
		name string
		line string
		want view
	}{
		{"one upstream", ingressLine, with(func(v *view) {
			v.Time, v.Method, v.URI, v.Path, v.Protocol = ms(2023, 11, 14, 22, 13, 20, 0), "GET", "/api/v1/orders?limit=20", "/api/v1/orders", "HTTP/1.1"
			v.Status, v.BodyBytes, v.RequestLength, v.RequestTime = 200, 5123, 512, 31_000
			v.RemoteAddr, v.Referer = "192.168.65.3", "https://shop.example.com/cart"
			v.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36"
			v.Upstream, v.UpAddr, v.UpstreamTime, v.UpstreamStatus = "shop-orders-8080", "10.244.1.17:8080", 30_000, 200
		})},
		{"retried", ingressRetried, with(func(v *view) {
			v.Time, v.Method, v.URI, v.Path, v.Protocol = ms(2023, 11, 14, 22, 13, 21, 0), "POST", "/api/v1/checkout", "/api/v1/checkout", "HTTP/2.0"
			v.Status, v.BodyBytes, v.RequestLength, v.RequestTime = 200, 88, 733, 412_000
			v.RemoteAddr, v.UserAgent = "10.0.4.1", "curl/8.4.0"
			v.Upstream, v.UpAddr, v.UpstreamTime, v.UpstreamStatus = "shop-checkout-80", "10.244.2.9:8080, 10.244.1.4:8080", 411_000, 200
		})},
		{"default backend", ingressDefault, with(func(v *view) {
			v.Time, v.Method, v.URI, v.Path, v.Protocol = ms(2023, 11, 14, 22, 13, 22, 0), "GET", "/favicon.ico", "/favicon.ico", "HTTP/1.1"
			v.Status, v.BodyBytes, v.RequestLength, v.RequestTime = 404, 548, 389, 1_000
			v.RemoteAddr, v.RemoteUser, v.UserAgent = "10.0.4.1", "alice", "Mozilla/5.0"
			v.Upstream, v.UpAddr, v.UpstreamTime, v.UpstreamStatus = "upstream-default-backend", "127.0.0.1:8181", 0, 404
		})},
		{"no upstream", ingressNoUpstream, with(func(v *view) {
			v.Time, v.Status, v.BodyBytes, v.RequestLength, v.RequestTime = ms(2023, 11, 14, 22, 13, 23, 0), 400, 150, 0, 63_000
			v.RemoteAddr = "10.0.4.2"
		})},
		{"canary", ingressCanary, with(func(v *view) {
			v.Time, v.Method, v.URI, v.Path, v.Protocol = ms(2023, 11, 14, 21, 13, 24, 0), "GET", "/api/v1/orders/42", "/api/v1/orders/42", "HTTP/1.1"
			v.Status, v.BodyBytes, v.RequestLength, v.RequestTime = 503, 190, 244, 1_250_000
			v.RemoteAddr, v.UserAgent = "10.0.4.3", "k6/0.47.0"
			v.Upstream, v.UpAddr, v.UpstreamTime, v.UpstreamStatus = "shop-orders-8080", "10.244.3.2:8080", 1_249_000, 503
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			if err := p.Parse([]byte(tt.line), &r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, toView(&r)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The controller's other lines are not requests.
	for _, line := range []string{
		"-------------------------------------------------------------------------------",
		"NGINX Ingress controller",
		"  Release:       v1.9.4",
		ingressLine[:strings.Index(ingressLine, " [shop")], // a combined line with the timing but no upstream
	} {
		var r Record
		if err := p.Parse([]byte(line), &r); err == nil {
			t.Errorf("%q parsed as a request", line)
		}
	}
}

func TestPresetNginxIngress(t *testing.T) {
	p := mustPreset(t, "nginx-ingress")
	var r Record
	if err := p.Parse([]byte(nginxIncLine), &r); err != nil {
		t.Fatal(err)
	}
	want := with(func(v *view) {
		v.Time, v.Method, v.URI, v.Path, v.Protocol = ms(2023, 11, 14, 22, 13, 20, 0), "GET", "/coffee", "/coffee", "HTTP/1.1"
		v.Status, v.BodyBytes, v.RemoteAddr, v.UserAgent, v.XForwardedFor = 200, 159, "10.0.0.7", "curl/7.81.0", "203.0.113.9"
	})
	if diff := cmp.Diff(want, toView(&r)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if p.HasLatency() {
		t.Error("nginx-ingress has a latency; its default format logs none")
	}
	// The other controller's lines have more fields: they do not fit.
	if err := p.Parse([]byte(ingressLine), &r); err == nil {
		t.Error("an ingress-nginx line parsed as nginx-ingress")
	}
}

func TestPresetNames(t *testing.T) {
	for _, name := range PresetNames() {
		if _, _, ok := Preset(name); !ok {
			t.Errorf("PresetNames lists %q, which Preset does not know", name)
		}
	}
	if _, _, ok := Preset("ingress"); ok {
		t.Error("unknown preset accepted")
	}
}
