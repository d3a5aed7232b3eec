package review

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/headroomtest"
	"github.com/headroom-slo/headroom/internal/store"
)

// TestCapacityLineFromData: four weeks of a service growing 10% a week
// toward a declared capacity give the review its capacity line, in both
// languages; a service without a capacity gets none.
func TestCapacityLineFromData(t *testing.T) {
	cfg, st, eng := headroomtest.Open(t, `
storage: {retention: {minutes: forever}}
sprints: {start: 2025-03-03, length: 14d}
services:
  - {name: web, logs: [{path: /dev/null}], capacity: {rps: 10}}
  - {name: api, logs: [{path: /dev/null}]}
slos:
  - {name: avail, service: web, objective: 99, window: 7d, sli: {type: availability}}
`)
	from := day0.AddDate(0, 0, -28)
	for _, svc := range []string{"web", "api"} {
		headroomtest.Fill(t, st, svc, from, 28*1440, func(m time.Time, add AddFunc) {
			// 2 rps growing 10% a week: the peak is the rate itself.
			n := math.Round(120 * math.Pow(1.1, m.Sub(from).Hours()/24/7))
			add(store.DimValue{Host: "a", Route: "/", Method: "GET", Status: 200}, 10, uint64(n))
		})
	}
	sprints := NewSprints(cfg)
	r, err := Build(context.Background(), Inputs{Config: cfg, Engine: eng, Store: st, Sprints: sprints}, sprints.At(day0), "", day0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Capacity) != 1 {
		t.Fatalf("capacity forecasts %+v, want web's only", r.Capacity)
	}
	c := r.Capacity[0]
	// The peak on day0 is about 2·1.1⁴ = 2.93 rps; 8 rps is 80% of 10:
	// ln(8/2.93)/ln(1.1) = 10.5 weeks on.
	if c.Service != "web" || c.Level != 80 || c.Growth == nil || math.Abs(*c.Growth-0.10) > 0.001 || c.Already {
		t.Fatalf("forecast %+v, want web at 80%% growing 10%% a week", c)
	}
	if weeks := c.At.Sub(day0).Hours() / 24 / 7; weeks < 10 || weeks > 11 {
		t.Errorf("80%% reached %v, %.1f weeks on: want about 10.5", c.At, weeks)
	}
	for lang, want := range map[string]string{
		"en": "- At current growth (+10.0% a week), `web` reaches 80% of its tested capacity in about 1",
		"ja": "- 今の伸び（週+10.0%）が続くと、`web` は約1",
	} {
		md, err := Markdown(r, lang)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(md), want) {
			t.Errorf("%s review lacks %q:\n%s", lang, want, md)
		}
	}
}

type AddFunc = headroomtest.AddFunc

// TestCapacityLines: every case of the line, in both languages.
func TestCapacityLines(t *testing.T) {
	growth := 0.1
	flat := -0.004
	for _, c := range []struct {
		f      CapacityForecast
		en, ja string
	}{
		{CapacityForecast{Service: "web", Level: 80, Growth: &growth, At: at(17, 0, 0).AddDate(0, 0, 9)},
			"At current growth (+10.0% a week), web reaches 80% of its tested capacity in 9 days (around 2025-03-26)",
			"今の伸び（週+10.0%）が続くと、web は9日後（2025-03-26ごろ）に負荷試験で確かめたキャパシティの80%に達する"},
		{CapacityForecast{Service: "web", Level: 80, Growth: &flat},
			"At current growth (-0.4% a week), web does not reach 80% of its tested capacity within two years",
			"今の伸び（週-0.4%）が続くと、web は2年以内に負荷試験で確かめたキャパシティの80%には達しない"},
		{CapacityForecast{Service: "web", Level: 80, Growth: &growth, At: at(17, 0, 0), Already: true},
			"web's peak is already at 80% of its tested capacity",
			"web のピークはすでに負荷試験で確かめたキャパシティの80%に達している"},
		{CapacityForecast{Service: "web", Level: 80},
			"Too little traffic history for a capacity forecast of web (14 days needed)",
			"web はトラフィックの履歴が短く、キャパシティの予測はまだできない（14日分必要）"},
	} {
		r := quietReview()
		r.Findings = []Finding{{Kind: FindingCapacity, Capacity: &c.f}}
		for lang, want := range map[string]string{"en": c.en, "ja": c.ja} {
			p := &printer{r: r, m: catalog(lang), loc: jst}
			var got strings.Builder
			for _, s := range p.finding(r.Findings[0]) {
				got.WriteString(s.Text)
			}
			if got.String() != want {
				t.Errorf("%s: %q, want %q", lang, got.String(), want)
			}
		}
	}
}
