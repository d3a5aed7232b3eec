package capacity

import (
	"encoding/json"
	"testing"
	"time"
)

// TestViewCrossesNull: --json's crosses are YYYY-MM-DD or null (not
// within two years), and crosses is null itself without a capacity.
func TestViewCrossesNull(t *testing.T) {
	today := monday.AddDate(0, 0, 56)
	for _, c := range []struct {
		name   string
		growth float64
		cap    float64
		want   string
	}{
		{"growing", 0.10, 1000, `{"100":"2026-06-24","80":"2026-06-07"}`}, // 100·1.1^(d/7) reaches 800 on day ⌈7·ln 8/ln 1.1⌉ = 153
		{"flat", 0, 1000, `{"100":null,"80":null}`},
		{"no capacity", 0.10, 0, `null`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Report{Service: "web", From: monday, To: today, CapacityRPS: c.cap, Days: series(56, 100, c.growth, flat, 0, 1)}
			r.Analysis = Analyze(r.Days, today, Options{CapacityRPS: c.cap})
			b, err := json.Marshal(r.View())
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if string(got["crosses"]) != c.want {
				t.Errorf("crosses %s, want %s", got["crosses"], c.want)
			}
			if _, err := time.Parse(time.DateOnly, string(got["from"][1:len(got["from"])-1])); err != nil {
				t.Errorf("from %s: %v", got["from"], err)
			}
		})
	}
}
