// Package examples ships the quickstart: a config and a sample Nginx access
// log, embedded so `headroom quickstart` works from the binary alone.
package examples

import "embed"

// Quickstart holds quickstart.yaml and access.log.gz.
//
//go:embed quickstart.yaml access.log.gz
var Quickstart embed.FS
