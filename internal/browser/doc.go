// Package browser holds headroom's browser tests: they build the real
// headroom binary, import the quickstart sample, start `headroom serve` on
// 127.0.0.1 and drive the dashboard in headless Chromium (through chromedp),
// as a user's browser would load it.
//
// They check that each page answers 200 with its title, that every number a
// page shows in a data-value attribute equals the JSON API's, that every
// chart drew into its canvas, that the page logged no console error,
// exception or Content-Security-Policy violation, and they save a full-page
// screenshot of each page ($HEADROOM_SCREENSHOTS, else a temporary
// directory; `make screenshots` writes docs/img/).
//
// Like the other integration tests, they skip when chromium is missing, and
// fail instead when HEADROOM_INTEGRATION=1 (as `make test` sets):
// scripts/test-deps.sh installs Debian's chromium. The package has no
// non-test code.
package browser
