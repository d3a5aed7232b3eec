package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestTimesOutOfRange: a time outside 1970..2200 in a request is a 400
// that names the parameter, from every JSON endpoint and page; never a 200
// with an empty body (times past year 9999 cannot be written as JSON).
func TestTimesOutOfRange(t *testing.T) {
	h, _ := pagesServer(t, Options{})
	endpoints := []string{
		"/api/v1/slos", "/api/v1/slos/checkout", "/api/v1/slos/checkout/series", "/api/v1/slos/checkout/breakdown",
		"/api/v1/services", "/api/v1/services/web", "/api/v1/services/web/vitals", "/api/v1/alerts",
	}
	for _, tc := range []struct {
		query string
		param string // named in the error; "" when the request is fine
	}{
		{"at=9999-12-31T23:59:59Z", "at"},
		{"at=0000-01-01T00:00:00Z", "at"},
		{"at=253402300799", "at"}, // 9999-12-31T23:59:59Z in Unix seconds
		{"at=99999999999", "at"},  // year 5138
		{"at=2200-01-01T00:00:00Z", "at"},
		{"at=1969-12-31T23:59:59Z", "at"},
		{"to=9999-12-31T23:59:59Z", "to"},
		{"from=0000-01-01T00:00:00Z", "from"},
		{"from=-99999999999d", "from"},
		{"at=2199-12-31T00:00:00Z", ""},
		{"at=1970-01-02T00:00:00Z", ""},
	} {
		for _, path := range endpoints {
			t.Run(tc.query+path, func(t *testing.T) {
				rec := get(h, path+"?"+tc.query)
				body := rec.Body.Bytes()
				if tc.param == "" {
					if rec.Code != 200 || !json.Valid(body) {
						t.Errorf("GET %s?%s = %d %q, want 200 with JSON", path, tc.query, rec.Code, body)
					}
					return
				}
				var e apiError
				if err := json.Unmarshal(body, &e); err != nil || rec.Code != 400 || e.Error.Status != 400 {
					t.Fatalf("GET %s?%s = %d %q, want 400 in the error shape", path, tc.query, rec.Code, body)
				}
				if v, _ := url.ParseQuery(tc.query); !strings.HasPrefix(e.Error.Message, tc.param+"=") ||
					!strings.Contains(e.Error.Message, v.Get(tc.param)) || !strings.Contains(e.Error.Message, "1970") {
					t.Errorf("GET %s?%s: %q, want it to name %s and the range", path, tc.query, e.Error.Message, tc.param)
				}
			})
		}
	}
	for _, path := range []string{"/", "/slo/checkout", "/service/web", "/alerts"} {
		if rec := get(h, path+"?at=9999-12-31T23:59:59Z"); rec.Code != 400 || !strings.Contains(rec.Body.String(), "want a time from 1970-01-01 to 2200-01-01") {
			t.Errorf("GET %s?at=9999-12-31T23:59:59Z = %d, want the error page with 400", path, rec.Code)
		}
	}
}
