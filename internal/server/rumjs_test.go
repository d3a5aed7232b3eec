package server

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// readRumAssets reads the two halves of /rum.js: web-vitals, then the loader.
func readRumAssets(t *testing.T) (vitals, loader []byte) {
	t.Helper()
	vitals, err := assetFS.ReadFile("assets/web-vitals.iife.js")
	if err != nil {
		t.Fatal(err)
	}
	loader, err = assetFS.ReadFile("assets/rum-loader.js")
	if err != nil {
		t.Fatal(err)
	}
	return vitals, loader
}

// TestRumScriptSize keeps /rum.js, which every page of the monitored sites
// loads, within 10 KB gzipped.
func TestRumScriptSize(t *testing.T) {
	vitals, loader := readRumAssets(t)
	all := append(append(append([]byte{}, vitals...), '\n'), loader...)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(all); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	const limit = 10 * 1024
	if buf.Len() > limit {
		t.Errorf("rum.js is %d bytes gzipped (%d raw), over %d", buf.Len(), len(all), limit)
	}
	t.Logf("rum.js: %d bytes, %d gzipped", len(all), buf.Len())
}

// TestRumWebVitals checks that the vendored file is the IIFE build the
// loader expects: a global webVitals with the five metrics, ending in a
// complete statement so that the loader can follow it.
func TestRumWebVitals(t *testing.T) {
	vitals, _ := readRumAssets(t)
	s := string(vitals)
	if !strings.HasPrefix(s, "var webVitals=") {
		t.Errorf("web-vitals.iife.js does not start with var webVitals=: %.40q", s)
	}
	for _, f := range []string{"onLCP", "onINP", "onCLS", "onFCP", "onTTFB"} {
		if !strings.Contains(s, "."+f+"=") {
			t.Errorf("web-vitals.iife.js does not export %s", f)
		}
	}
	code, _, _ := strings.Cut(s, "\n//# sourceMappingURL=")
	if code = strings.TrimSpace(code); !strings.HasSuffix(code, ";") {
		t.Errorf("web-vitals.iife.js does not end with a semicolon: %q", code[max(0, len(code)-20):])
	}
}

// TestRumLoaderPrivacy checks the loader for what it must never touch and
// for the events it must send on.
func TestRumLoaderPrivacy(t *testing.T) {
	_, loader := readRumAssets(t)
	s := string(loader)
	for _, bad := range []string{"document.cookie", "localStorage", "sessionStorage", "indexedDB", "userAgent", "console.", ".message", ".stack", "location.search", "location.href"} {
		if strings.Contains(s, bad) {
			t.Errorf("rum-loader.js contains %q", bad)
		}
	}
	for _, want := range []string{
		"sendBeacon", "visibilitychange", "pagehide", "unhandledrejection", "'error'",
		"keepalive: true", "credentials: 'omit'", "'text/plain'", "/api/v1/rum",
		"onLCP", "onINP", "onCLS", "onFCP", "onTTFB", "data-app", "data-sample", "data-api",
		"'use strict'",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("rum-loader.js does not contain %q", want)
		}
	}
	// Plain ES2017, no modules: no ES2020 operators (web-vitals has its own).
	for _, bad := range []string{"?.", "??", "import ", "export ", "async ", "await "} {
		if strings.Contains(s, bad) {
			t.Errorf("rum-loader.js uses %q", bad)
		}
	}
	if !strings.Contains(s, "(function () {") || !strings.HasSuffix(strings.TrimSpace(s), "})();") {
		t.Error("rum-loader.js is not wrapped in an IIFE")
	}
}
