package grafana_test

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/grafana"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var configs = []string{
	"../../examples/quickstart.yaml",
	"../config/testdata/good.yaml",
	"../promrules/testdata/calendar.yaml",
	"../promrules/testdata/scenarios.yaml",
}

// dashboard is the part of Grafana's dashboard model the test checks.
type dashboard struct {
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name, Type, Query string
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos *struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Datasource *struct{ Type, UID string } `json:"datasource"`
	Targets    []struct {
		Expr       string                      `json:"expr"`
		RefID      string                      `json:"refId"`
		Datasource *struct{ Type, UID string } `json:"datasource"`
	} `json:"targets"`
}

// grafanaVars are the variables Grafana substitutes in queries, replaced
// by what they stand for before parsing.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1d")

func TestDashboard(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, path := range configs {
		t.Run(path, func(t *testing.T) {
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := grafana.Dashboard(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var d dashboard
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			if d.UID != grafana.UID {
				t.Errorf("uid %q, want %q", d.UID, grafana.UID)
			}
			if len(d.Templating.List) != 1 || d.Templating.List[0].Name != "datasource" ||
				d.Templating.List[0].Type != "datasource" || d.Templating.List[0].Query != "prometheus" {
				t.Errorf("variables %+v: want one datasource variable of type prometheus", d.Templating.List)
			}
			ids := map[int]string{}
			rows := 0
			for _, pn := range d.Panels {
				if prev, dup := ids[pn.ID]; dup || pn.ID == 0 {
					t.Errorf("panel %q: id %d (also %q)", pn.Title, pn.ID, prev)
				}
				ids[pn.ID] = pn.Title
				if g := pn.GridPos; g == nil || g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
					t.Errorf("panel %q: gridPos %+v", pn.Title, pn.GridPos)
				}
				if pn.Type == "row" {
					rows++
					continue
				}
				if pn.Datasource == nil || pn.Datasource.UID != "${datasource}" {
					t.Errorf("panel %q: datasource %+v, want ${datasource}", pn.Title, pn.Datasource)
				}
				if len(pn.Targets) == 0 {
					t.Errorf("panel %q has no target", pn.Title)
				}
				refs := map[string]bool{}
				for _, tg := range pn.Targets {
					if refs[tg.RefID] || tg.RefID == "" {
						t.Errorf("panel %q: refId %q empty or twice", pn.Title, tg.RefID)
					}
					refs[tg.RefID] = true
					if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
						t.Errorf("panel %q: target datasource %+v", pn.Title, tg.Datasource)
					}
					if _, err := p.ParseExpr(grafanaVars.Replace(tg.Expr)); err != nil {
						t.Errorf("panel %q: %q: %v", pn.Title, tg.Expr, err)
					}
				}
			}
			want := 0
			for _, s := range cfg.SLOs {
				if s.SLI.Type != config.Composite {
					want++
				}
			}
			if rows != want {
				t.Errorf("%d rows, want one per SLO (%d)", rows, want)
			}
		})
	}
}

func TestGolden(t *testing.T) {
	cfg, err := config.Load("../../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := grafana.Dashboard(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const path = "testdata/quickstart.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("dashboard differs from %s (-want +got; go test -update rewrites it):\n%s", path, d)
	}
}
