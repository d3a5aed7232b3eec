// Package beacon is the vocabulary of the events browsers send (rum.js
// beacons), shared by the package that stores them (rum), the one that counts
// them for SLIs (sli) and the one that shows them (report): the codes events
// are stored under as the "status" of a cell entry, the web vitals with their
// rating bounds, and the scale CLS, which has no unit, is stored at.
//
// It is a leaf: it imports nothing of headroom's, so every package on the
// flow can use it without importing another's machinery.
package beacon

// Codes are the "status" browser events are stored under in cells.
const (
	CodePageView  = 1 // a page view
	CodeErrorView = 2 // a page view that had an uncaught error
	CodeAPIOK     = 3 // a browser API call that succeeded
	CodeAPIFailed = 4 // a browser API call that failed (5xx or network)
	CodeLCP       = 10
	CodeINP       = 11
	CodeCLS       = 12 // CLS × CLSScale in the histogram (it has no unit)
	CodeFCP       = 13
	CodeTTFB      = 14
)

// Names of the web vitals, as rum.js sends them and configs name them.
const (
	LCP  = "LCP"
	INP  = "INP"
	CLS  = "CLS"
	FCP  = "FCP"
	TTFB = "TTFB"
)

// CLSScale is what CLS values are multiplied by to go into histograms,
// whose bounds are in milliseconds: a CLS of 0.1 is bucket 100.
const CLSScale = 1000

// Rating values, as the web-vitals library names them.
const (
	Good             = "good"
	NeedsImprovement = "needs-improvement"
	Poor             = "poor"
)

// Vital is one web vital rum.js measures.
type Vital struct {
	Name string // LCP, INP, CLS, FCP or TTFB
	Code int    // the code its events are stored under
	// Scale turns a value of the vital into histogram units
	// (milliseconds): 1, or CLSScale for CLS.
	Scale float64
	// GoodUpTo and PoorAbove are the web-vitals library's rating bounds in
	// the vital's own unit (milliseconds; none for CLS).
	GoodUpTo, PoorAbove float64
}

// vitals are the web vitals in display order.
var vitals = [...]Vital{
	{Name: LCP, Code: CodeLCP, Scale: 1, GoodUpTo: 2500, PoorAbove: 4000},
	{Name: INP, Code: CodeINP, Scale: 1, GoodUpTo: 200, PoorAbove: 500},
	{Name: CLS, Code: CodeCLS, Scale: CLSScale, GoodUpTo: 0.1, PoorAbove: 0.25},
	{Name: FCP, Code: CodeFCP, Scale: 1, GoodUpTo: 1800, PoorAbove: 3000},
	{Name: TTFB, Code: CodeTTFB, Scale: 1, GoodUpTo: 800, PoorAbove: 1800},
}

// Vitals returns the web vitals in display order: LCP, INP, CLS, FCP, TTFB.
func Vitals() []Vital {
	v := vitals
	return v[:]
}

// Names returns the web vitals' names in display order.
func Names() []string {
	out := make([]string, len(vitals))
	for i, v := range vitals {
		out[i] = v.Name
	}
	return out
}

// Lookup returns the vital named name.
func Lookup(name string) (Vital, bool) {
	for _, v := range vitals {
		if v.Name == name {
			return v, true
		}
	}
	return Vital{}, false
}

// ForCode returns the vital whose events are stored under code.
func ForCode(code int) (Vital, bool) {
	for _, v := range vitals {
		if v.Code == code {
			return v, true
		}
	}
	return Vital{}, false
}

// Rate rates a value of the vital, in its own unit, as the web-vitals
// library does: Good, NeedsImprovement or Poor.
func (v Vital) Rate(x float64) string {
	switch {
	case x <= v.GoodUpTo:
		return Good
	case x <= v.PoorAbove:
		return NeedsImprovement
	}
	return Poor
}

// Bounds returns every vital's rating bounds in histogram units, so that
// histograms count page views at them exactly.
func Bounds() []uint32 {
	var out []uint32
	for _, v := range vitals {
		out = append(out, uint32(v.GoodUpTo*v.Scale+0.5), uint32(v.PoorAbove*v.Scale+0.5))
	}
	return out
}
