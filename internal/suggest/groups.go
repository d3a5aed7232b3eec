package suggest

import (
	"path"
	"regexp"
	"strings"
)

// The automatic route groups, in the order they are shown.
const (
	GroupAPIRead  = "api-read"
	GroupAPIWrite = "api-write"
	GroupPage     = "page"
	GroupStatic   = "static"
	GroupHealth   = "health"
	GroupBot      = "bot"
)

// AutoGroups are the automatic route groups, in the order they are shown.
var AutoGroups = []string{GroupAPIRead, GroupAPIWrite, GroupPage, GroupStatic, GroupHealth, GroupBot}

// healthNames are the last path segments of well-known health checks.
var healthNames = map[string]bool{
	"health": true, "healthz": true, "healthcheck": true, "health-check": true, "health_check": true,
	"livez": true, "readyz": true, "ready": true, "alive": true, "ping": true, "status.html": true,
	"nginx_status": true, "server-status": true, "-": false,
}

// botPaths are the files crawlers and scanners ask for.
var botPaths = map[string]bool{
	"/robots.txt": true, "/ads.txt": true, "/app-ads.txt": true, "/humans.txt": true,
	"/security.txt": true, "/.well-known/security.txt": true, "/xmlrpc.php": true,
	"/phpmyadmin": true, "/phpmyadmin/": true, "/cgi-bin": true,
}

// sitemap matches sitemaps: /sitemap.xml, /sitemap_index.xml, /sitemap-1.xml.gz.
var sitemap = regexp.MustCompile(`^/sitemap[^/]*\.xml(\.gz)?$`)

// staticExts are the extensions of static assets.
var staticExts = map[string]bool{
	".js": true, ".mjs": true, ".css": true, ".map": true, ".png": true, ".jpg": true, ".jpeg": true, ".gif": true,
	".svg": true, ".ico": true, ".webp": true, ".avif": true, ".bmp": true, ".woff": true, ".woff2": true, ".ttf": true,
	".otf": true, ".eot": true, ".mp4": true, ".webm": true, ".mp3": true, ".wasm": true, ".json": false,
}

// scannerExts are extensions a PHP or ASP scanner asks for on a site that
// has none.
var scannerExts = map[string]bool{".php": true, ".asp": true, ".aspx": true, ".cgi": true, ".env": true}

// apiPrefix matches the paths of an API: /api, /api/..., /v1/..., /graphql,
// /rest/..., /rpc/...
var apiPrefix = regexp.MustCompile(`^/(api|graphql|rest|rpc|v[0-9]+)(/|$|\.)`)

// Classify returns the automatic route group of a method and route
// template, by these rules, first match wins:
//
//   - health: the last segment is a well-known health check name
//     (health, healthz, livez, readyz, ping, …) in a path of at most two
//     segments (/healthz, /api/health);
//   - bot: robots.txt, sitemaps, ads.txt, security.txt, and scanner probes
//     (a .php/.asp/.cgi/.env file, a wp- segment, a hidden segment other
//     than /.well-known, /cgi-bin);
//   - static: a static asset's extension (.js, .css, images, fonts, media,
//     .map, .wasm) or a path under /static/, /assets/ or /_next/static/;
//   - api-read and api-write: paths under /api, /graphql, /rest, /rpc or
//     /v1 (any version), writes being POST, PUT, PATCH and DELETE;
//   - page: everything else.
func Classify(method, route string) string {
	segs := strings.Split(strings.Trim(route, "/"), "/")
	last := strings.ToLower(segs[len(segs)-1])
	lower := strings.ToLower(route)
	switch {
	case healthNames[last] && len(segs) <= 2:
		return GroupHealth
	case isBot(lower, segs):
		return GroupBot
	case staticExts[path.Ext(last)] || strings.HasPrefix(lower, "/static/") || strings.HasPrefix(lower, "/assets/") ||
		strings.HasPrefix(lower, "/_next/static/"):
		return GroupStatic
	case apiPrefix.MatchString(lower):
		switch method {
		case "POST", "PUT", "PATCH", "DELETE":
			return GroupAPIWrite
		}
		return GroupAPIRead
	}
	return GroupPage
}

func isBot(lower string, segs []string) bool {
	if botPaths[lower] || sitemap.MatchString(lower) || strings.HasPrefix(lower, "/cgi-bin/") {
		return true
	}
	for _, s := range segs {
		s = strings.ToLower(s)
		if strings.HasPrefix(s, "wp-") || (strings.HasPrefix(s, ".") && s != ".well-known" && s != "." && s != "..") ||
			scannerExts[path.Ext(s)] {
			return true
		}
	}
	return false
}
