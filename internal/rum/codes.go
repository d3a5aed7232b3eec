// Package rum turns beacons from real browsers (rum.js) into minute cells:
// the same cells as Nginx lines, with the app as the service, the page
// template as the route, the device class as the host, the navigation type
// as the method, and what happened as the "status": a page view, a page view
// with an uncaught error, an API call that succeeded or failed, or a web
// vital, whose value goes into the latency histogram. Every SLI, rollup,
// breakdown and alert then works on browsers as it does on Nginx.
package rum

// Codes are the "status" of browser events in cells.
const (
	CodePageView  = 1 // a page view
	CodeErrorView = 2 // a page view that had an uncaught error
	CodeAPIOK     = 3 // a browser API call that succeeded
	CodeAPIFailed = 4 // a browser API call that failed (5xx or network)
	CodeLCP       = 10
	CodeINP       = 11
	CodeCLS       = 12 // CLS × 1000 in the histogram (it has no unit)
	CodeFCP       = 13
	CodeTTFB      = 14
)

// VitalCodes maps a vital's name to its code.
var VitalCodes = map[string]int{"LCP": CodeLCP, "INP": CodeINP, "CLS": CodeCLS, "FCP": CodeFCP, "TTFB": CodeTTFB}

// CLSScale is what CLS values are multiplied by to go into histograms,
// whose bounds are in milliseconds: a CLS of 0.1 is bucket 100.
const CLSScale = 1000
