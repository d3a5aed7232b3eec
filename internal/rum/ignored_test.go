package rum_test

import (
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/rum"
)

// TestIgnoredEventsAreCounted: the events of forgedBeacons the collector
// does not count are counted in its stats, by reason; events of page views
// not seen wait for them, and are ignored as no_page_view 30 s later.
func TestIgnoredEventsAreCounted(t *testing.T) {
	c, _ := setup(t, "")
	before := map[string]int64{}
	var waiting int
	sendForged(t, c, func(f forged) {
		st := c.Stats()
		for _, reason := range []string{"no_page_view", "over_limit"} {
			if got := st.Ignored[reason] - before[reason]; got != f.ignored[reason] {
				t.Errorf("%s: %d events ignored as %s, want %d", f.name, got, reason, f.ignored[reason])
			}
		}
		if got := st.Waiting - waiting; got != f.waiting {
			t.Errorf("%s: %d events waiting for their page view, want %d", f.name, got, f.waiting)
		}
		before, waiting = st.Ignored, st.Waiting
	})
	if waiting != 304 {
		t.Fatalf("%d events waiting, want 304", waiting)
	}
	rum.Later(c, 29*time.Second)
	if st := c.Stats(); st.Waiting != 304 || st.Ignored["no_page_view"] != 0 {
		t.Errorf("29 s later: %d waiting, %d ignored as no_page_view; want 304 still waiting", st.Waiting, st.Ignored["no_page_view"])
	}
	rum.Later(c, 31*time.Second)
	if st := c.Stats(); st.Waiting != 0 || st.Ignored["no_page_view"] != 304 {
		t.Errorf("31 s later: %d waiting, %d ignored as no_page_view; want none waiting, 304 ignored", st.Waiting, st.Ignored["no_page_view"])
	}
}
