package genlog

import "strings"

// kind groups routes that share a status mix, a host and an upstream.
type kind uint8

const (
	kindAPI     kind = iota // JSON API behind the app upstream
	kindPage                // server-rendered pages behind the app upstream
	kindStatic              // files served by nginx itself: no upstream
	kindProbe               // health checks from the load balancer
	kindScanner             // bots probing for well-known paths; nginx answers
)

// placeholder kinds in a route template.
const (
	phNum  = iota + 1 // {num}: a numeric id, skewed towards small ones
	phHex             // {hex}: a 24-digit hex id, e.g. a Mongo ObjectId
	phUUID            // {uuid}
	phWord            // {word}: a slug from a small vocabulary
	phHash            // {hash}: an asset fingerprint that changes every day
)

// part is a literal piece of a path or a placeholder.
type part struct {
	lit []byte
	ph  int
}

// method is one method a route accepts, with its share of the route's traffic.
type method struct {
	name   string
	weight float64
}

// route is one URL template with its traffic and response profile.
type route struct {
	parts   []part
	weight  float64 // share of all traffic, relative
	methods []method
	kind    kind
	median  float64  // median request_time in seconds
	bytes   float64  // typical response body size
	query   []string // query strings, one appended to half of the requests
	creates bool     // POST answers 201 rather than 200
	ok      int      // the success status when not 200 (or 201/204 by method)
}

// routeSpec is the compact, readable form of a route.
type routeSpec struct {
	tmpl    string
	weight  float64
	methods string // "GET:85 PUT:10 DELETE:5"
	kind    kind
	median  float64
	bytes   float64
	query   []string
	creates bool
	ok      int
}

// routeSpecs returns the site the generator simulates: about 60 routes of a
// B2B SaaS application behind nginx, most popular first.
func routeSpecs() []routeSpec {
	page := []string{"page=2&per_page=50", "page=1&per_page=20", "status=open&sort=-updated_at", "owner=me"}
	return []routeSpec{
		{tmpl: "/api/me", weight: 900, methods: "GET:100", kind: kindAPI, median: 0.012, bytes: 850},
		{tmpl: "/api/notifications", weight: 700, methods: "GET:100", kind: kindAPI, median: 0.018, bytes: 2400, query: []string{"unread=true", "since=1h"}},
		{tmpl: "/api/deals", weight: 520, methods: "GET:90 POST:10", kind: kindAPI, median: 0.045, bytes: 18000, query: page, creates: true},
		{tmpl: "/api/deals/{hex}", weight: 480, methods: "GET:85 PUT:12 DELETE:3", kind: kindAPI, median: 0.025, bytes: 3200},
		{tmpl: "/api/deals/{hex}/items", weight: 430, methods: "GET:80 POST:20", kind: kindAPI, median: 0.038, bytes: 9000, creates: true},
		{tmpl: "/api/deals/{hex}/items/{num}", weight: 160, methods: "GET:70 PUT:25 DELETE:5", kind: kindAPI, median: 0.022, bytes: 1400},
		{tmpl: "/api/deals/{hex}/notes", weight: 120, methods: "GET:75 POST:25", kind: kindAPI, median: 0.030, bytes: 4200, creates: true},
		{tmpl: "/api/users/{num}", weight: 400, methods: "GET:88 PUT:10 DELETE:2", kind: kindAPI, median: 0.016, bytes: 1100},
		{tmpl: "/api/users", weight: 150, methods: "GET:85 POST:15", kind: kindAPI, median: 0.055, bytes: 22000, query: page, creates: true},
		{tmpl: "/api/users/{num}/settings", weight: 90, methods: "GET:80 PUT:20", kind: kindAPI, median: 0.014, bytes: 700},
		{tmpl: "/api/users/{num}/avatar", weight: 110, methods: "GET:100", kind: kindAPI, median: 0.009, bytes: 14000},
		{tmpl: "/api/accounts/{num}", weight: 140, methods: "GET:90 PUT:10", kind: kindAPI, median: 0.020, bytes: 1900},
		{tmpl: "/api/accounts/{num}/members", weight: 80, methods: "GET:85 POST:15", kind: kindAPI, median: 0.035, bytes: 6400, creates: true},
		{tmpl: "/api/accounts/{num}/invoices", weight: 45, methods: "GET:100", kind: kindAPI, median: 0.080, bytes: 12000, query: page},
		{tmpl: "/api/invoices/{uuid}", weight: 40, methods: "GET:100", kind: kindAPI, median: 0.028, bytes: 2600},
		{tmpl: "/api/invoices/{uuid}/pdf", weight: 12, methods: "GET:100", kind: kindAPI, median: 0.650, bytes: 180000},
		{tmpl: "/api/orders", weight: 110, methods: "GET:80 POST:20", kind: kindAPI, median: 0.060, bytes: 15000, query: page, creates: true},
		{tmpl: "/api/orders/{uuid}", weight: 95, methods: "GET:85 PUT:15", kind: kindAPI, median: 0.024, bytes: 2800},
		{tmpl: "/api/orders/{uuid}/cancel", weight: 8, methods: "POST:100", kind: kindAPI, median: 0.090, bytes: 400},
		{tmpl: "/api/products", weight: 130, methods: "GET:100", kind: kindAPI, median: 0.040, bytes: 26000, query: page},
		{tmpl: "/api/products/{num}", weight: 170, methods: "GET:100", kind: kindAPI, median: 0.015, bytes: 2100},
		{tmpl: "/api/products/{num}/reviews", weight: 50, methods: "GET:90 POST:10", kind: kindAPI, median: 0.033, bytes: 5400, creates: true},
		{tmpl: "/api/search", weight: 210, methods: "GET:100", kind: kindAPI, median: 0.180, bytes: 11000, query: []string{"q=acme", "q=renewal&type=deal", "q=tokyo&type=account", "q=invoice+overdue"}},
		{tmpl: "/api/reports/{word}", weight: 35, methods: "GET:100", kind: kindAPI, median: 0.850, bytes: 42000, query: []string{"range=28d", "range=7d&group=week"}},
		{tmpl: "/api/reports/{word}/export", weight: 6, methods: "POST:100", kind: kindAPI, median: 1.900, bytes: 350000},
		{tmpl: "/api/notifications/{uuid}/read", weight: 60, methods: "POST:100", kind: kindAPI, median: 0.011, bytes: 0, ok: 204},
		{tmpl: "/api/files", weight: 25, methods: "POST:100", kind: kindAPI, median: 0.420, bytes: 350, creates: true},
		{tmpl: "/api/files/{uuid}", weight: 55, methods: "GET:92 DELETE:8", kind: kindAPI, median: 0.030, bytes: 95000},
		{tmpl: "/api/webhooks", weight: 10, methods: "GET:70 POST:30", kind: kindAPI, median: 0.026, bytes: 1600, creates: true},
		{tmpl: "/api/webhooks/{num}/deliveries", weight: 9, methods: "GET:100", kind: kindAPI, median: 0.070, bytes: 8800, query: page},
		{tmpl: "/api/auth/login", weight: 70, methods: "POST:100", kind: kindAPI, median: 0.210, bytes: 520},
		{tmpl: "/api/auth/refresh", weight: 260, methods: "POST:100", kind: kindAPI, median: 0.013, bytes: 480},
		{tmpl: "/api/auth/logout", weight: 20, methods: "POST:100", kind: kindAPI, median: 0.008, bytes: 40},
		{tmpl: "/api/teams/{num}/projects", weight: 75, methods: "GET:90 POST:10", kind: kindAPI, median: 0.032, bytes: 7200, creates: true},
		{tmpl: "/api/projects/{uuid}/tasks", weight: 140, methods: "GET:80 POST:20", kind: kindAPI, median: 0.041, bytes: 13000, query: page, creates: true},
		{tmpl: "/api/tasks/{num}", weight: 120, methods: "GET:70 PUT:25 DELETE:5", kind: kindAPI, median: 0.019, bytes: 1500},
		{tmpl: "/api/tasks/{num}/comments", weight: 65, methods: "GET:75 POST:25", kind: kindAPI, median: 0.027, bytes: 3900, creates: true},
		{tmpl: "/api/billing/usage", weight: 22, methods: "GET:100", kind: kindAPI, median: 0.240, bytes: 5200, query: []string{"month=current", "month=previous"}},
		{tmpl: "/api/v2/deals/{hex}/timeline", weight: 85, methods: "GET:100", kind: kindAPI, median: 0.095, bytes: 16000},
		{tmpl: "/api/v2/graphql", weight: 230, methods: "POST:100", kind: kindAPI, median: 0.070, bytes: 7400},
		{tmpl: "/api/status", weight: 30, methods: "GET:100", kind: kindAPI, median: 0.003, bytes: 90},
		{tmpl: "/collect", weight: 180, methods: "POST:100", kind: kindAPI, median: 0.004, bytes: 0, ok: 204},

		{tmpl: "/", weight: 160, methods: "GET:100", kind: kindPage, median: 0.035, bytes: 9800},
		{tmpl: "/login", weight: 75, methods: "GET:80 POST:20", kind: kindPage, median: 0.028, bytes: 6100},
		{tmpl: "/logout", weight: 15, methods: "GET:100", kind: kindPage, median: 0.006, bytes: 162, ok: 301},
		{tmpl: "/dashboard", weight: 210, methods: "GET:100", kind: kindPage, median: 0.065, bytes: 14500},
		{tmpl: "/deals/{hex}", weight: 130, methods: "GET:100", kind: kindPage, median: 0.048, bytes: 12800},
		{tmpl: "/settings", weight: 25, methods: "GET:100", kind: kindPage, median: 0.030, bytes: 8700},
		{tmpl: "/users/{num}", weight: 40, methods: "GET:100", kind: kindPage, median: 0.040, bytes: 9900},
		{tmpl: "/reports/{word}", weight: 30, methods: "GET:100", kind: kindPage, median: 0.120, bytes: 11200},

		{tmpl: "/static/js/app.{hash}.js", weight: 330, methods: "GET:100", kind: kindStatic, median: 0.002, bytes: 412000},
		{tmpl: "/static/js/vendor.{hash}.js", weight: 320, methods: "GET:100", kind: kindStatic, median: 0.003, bytes: 987000},
		{tmpl: "/static/css/main.{hash}.css", weight: 310, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 64000},
		{tmpl: "/static/img/logo.svg", weight: 260, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 4100},
		{tmpl: "/static/img/avatars/{num}.png", weight: 240, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 9200},
		{tmpl: "/static/fonts/inter-regular.woff2", weight: 90, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 98000},
		{tmpl: "/static/fonts/inter-semibold.woff2", weight: 70, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 101000},
		{tmpl: "/favicon.ico", weight: 120, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 15086},
		{tmpl: "/robots.txt", weight: 6, methods: "GET:100", kind: kindStatic, median: 0.001, bytes: 68},

		{tmpl: "/healthz", weight: 240, methods: "GET:100", kind: kindProbe, median: 0.002, bytes: 2},
		{tmpl: "/wp-login.php", weight: 3, methods: "GET:70 POST:30", kind: kindScanner, median: 0.001, bytes: 153},
		{tmpl: "/.env", weight: 2, methods: "GET:100", kind: kindScanner, median: 0.001, bytes: 153},
		{tmpl: "/.git/config", weight: 1, methods: "GET:100", kind: kindScanner, median: 0.001, bytes: 153},
	}
}

// compile turns the specs into routes.
func compile(specs []routeSpec) []route {
	routes := make([]route, len(specs))
	for i, s := range specs {
		r := route{weight: s.weight, kind: s.kind, median: s.median, bytes: s.bytes, query: s.query, creates: s.creates, ok: s.ok}
		rest := s.tmpl
		for rest != "" {
			open := strings.IndexByte(rest, '{')
			if open < 0 {
				r.parts = append(r.parts, part{lit: []byte(rest)})
				break
			}
			if open > 0 {
				r.parts = append(r.parts, part{lit: []byte(rest[:open])})
			}
			end := strings.IndexByte(rest, '}')
			switch rest[open+1 : end] {
			case "num":
				r.parts = append(r.parts, part{ph: phNum})
			case "hex":
				r.parts = append(r.parts, part{ph: phHex})
			case "uuid":
				r.parts = append(r.parts, part{ph: phUUID})
			case "word":
				r.parts = append(r.parts, part{ph: phWord})
			case "hash":
				r.parts = append(r.parts, part{ph: phHash})
			default:
				panic("genlog: unknown placeholder in " + s.tmpl)
			}
			rest = rest[end+1:]
		}
		for _, m := range strings.Fields(s.methods) {
			name, w, _ := strings.Cut(m, ":")
			var weight float64
			for _, c := range w {
				weight = weight*10 + float64(c-'0')
			}
			r.methods = append(r.methods, method{name: name, weight: weight})
		}
		routes[i] = r
	}
	return routes
}

// statusShare is one status with its share, in units of 1/10000.
type statusShare struct {
	status int
	share  int
}

// statusMix returns the status distribution of a response class, in units of
// 1/10000 that add up to 10000. The success status comes first; a route may
// replace it (route.ok, 201 for creating POSTs).
func statusMix(k kind, methodName string) []statusShare {
	switch k {
	case kindStatic:
		return []statusShare{{200, 6798}, {304, 3000}, {404, 150}, {499, 50}, {503, 2}}
	case kindProbe:
		return []statusShare{{200, 9997}, {502, 1}, {503, 2}}
	case kindScanner:
		return []statusShare{{404, 9000}, {403, 700}, {400, 300}}
	case kindPage:
		return []statusShare{{200, 9272}, {301, 320}, {304, 200}, {404, 150}, {499, 50}, {500, 4}, {502, 2}, {503, 1}, {504, 1}}
	}
	switch methodName {
	case "GET":
		return []statusShare{{200, 9482}, {400, 50}, {401, 120}, {403, 30}, {404, 250}, {429, 30}, {499, 30}, {500, 4}, {502, 2}, {503, 1}, {504, 1}}
	case "DELETE":
		return []statusShare{{204, 9592}, {401, 50}, {403, 50}, {404, 300}, {500, 5}, {502, 2}, {503, 1}}
	default: // POST, PUT
		return []statusShare{{200, 9357}, {400, 300}, {401, 100}, {403, 40}, {404, 100}, {429, 60}, {499, 20}, {500, 12}, {502, 5}, {503, 4}, {504, 2}}
	}
}

// userAgents() lists browserAgents browsers, then libraries, then botAgents
// bots; probeAgent is what the load balancer's health checks send.
const (
	browserAgents = 12
	botAgents     = 3
	probeAgent    = "kube-probe/1.31"
)

// userAgents are real browser, mobile, library and bot user agents.
func userAgents() []string {
	return []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
		"okhttp/4.12.0",
		"python-requests/2.32.3",
		"Go-http-client/2.0",
		"curl/8.5.0",
		"axios/1.7.7",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"Slack-ImgProxy (+https://api.slack.com/robots)",
	}
}

// words fill {word} placeholders.
func words() []string {
	return []string{"pipeline", "weekly-active-users", "churn", "revenue-by-region", "sla", "onboarding",
		"q3-forecast", "renewals", "support-backlog", "latency", "win-loss", "tokyo-office"}
}

// referers are the pages a request is linked from.
func referers() []string {
	return []string{"https://app.example.com/dashboard", "https://app.example.com/deals", "https://app.example.com/",
		"https://app.example.com/reports/pipeline", "https://app.example.com/settings"}
}
