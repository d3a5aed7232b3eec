package rum_test

import "testing"

// TestIgnoredEventsAreCounted: the events of forgedBeacons the collector
// does not count are counted in its stats, by reason.
func TestIgnoredEventsAreCounted(t *testing.T) {
	c, _ := setup(t, "")
	before := map[string]int64{}
	sendForged(t, c, func(f forged) {
		after := c.Stats().Ignored
		for _, reason := range []string{"no_page_view", "over_limit"} {
			if got := after[reason] - before[reason]; got != f.ignored[reason] {
				t.Errorf("%s: %d events ignored as %s, want %d", f.name, got, reason, f.ignored[reason])
			}
		}
		before = after
	})
}
