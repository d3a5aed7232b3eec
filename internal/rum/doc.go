// Package rum turns beacons from real browsers (rum.js) into minute cells:
// the same cells as Nginx lines, with the app as the service, the page
// template as the route, the device class as the host, the navigation type
// as the method, and what happened as the "status": a page view, a page view
// with an uncaught error, an API call that succeeded or failed, or a web
// vital, whose value goes into the latency histogram. Every SLI, rollup,
// breakdown and alert then works on browsers as it does on Nginx.
//
// What events are stored as (their codes, the CLS scale) is package beacon.
package rum
