// Package e2e holds headroom's end-to-end tests: they build the real
// headroom binary and drive it as a user would, through `import`, `serve` and
// `status --json`, against a real nginx and against a log writer that
// rotates, truncates and is read by a serve process killed at random moments;
// they check the dashboard's freshness and that `serve` pages a webhook. One
// test drives the notify package straight against a real Alertmanager that
// it stops and restarts.
//
// Expected numbers are computed by the tests themselves from the raw log
// lines with simple, independent code, never with headroom's own parser.
// The package has no non-test code.
package e2e
