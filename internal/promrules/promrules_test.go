package promrules_test

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/itest"
	"github.com/headroom-slo/headroom/internal/promrules"
	"github.com/headroom-slo/headroom/internal/slo"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// exampleConfigs are the repository's configs the rules are checked for.
var exampleConfigs = []string{
	"../../examples/quickstart.yaml",
	"../config/testdata/good.yaml",
	"../../deploy/kubernetes/server-config.yaml", // a ConfigMap: its headroom.yaml
	"testdata/scenarios.yaml",
	"testdata/calendar.yaml",
}

func load(t *testing.T, path string) *config.Config {
	t.Helper()
	if strings.HasPrefix(filepath.Base(path), "server-config") {
		var cm struct {
			Data map[string]string `yaml:"data"`
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, &cm); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(t.TempDir(), "headroom.yaml")
		if err := os.WriteFile(path, []byte(cm.Data["headroom.yaml"]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return cfg
}

func generate(t *testing.T, path string) []byte {
	t.Helper()
	f, err := promrules.Build(load(t, path))
	if err != nil {
		t.Fatalf("build %s: %v", path, err)
	}
	b, err := f.Marshal(filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParse reads every example's rules back with Prometheus' own rule
// file parser, which checks every expression and annotation template.
func TestParse(t *testing.T) {
	for _, path := range exampleConfigs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			groups, errs := rulefmt.Parse(generate(t, path), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
			for _, err := range errs {
				t.Error(err)
			}
			if groups == nil || len(groups.Groups) == 0 {
				t.Fatal("no rule groups")
			}
			alerts := 0
			for _, g := range groups.Groups {
				for _, r := range g.Rules {
					if r.Alert == "" {
						continue
					}
					alerts++
					for _, l := range []string{"slo", "service", "severity"} {
						if r.Labels[l] == "" {
							t.Errorf("%s: alert %s has no %s label", g.Name, r.Alert, l)
						}
					}
				}
			}
			if alerts == 0 {
				t.Error("no alerting rules")
			}
		})
	}
}

// TestGolden keeps the scenarios' rules, which scenarios_test.yaml reads
// when promtool is run by hand, as generated.
func TestGolden(t *testing.T) {
	got := generate(t, "testdata/scenarios.yaml")
	path := "testdata/scenarios.rules.yaml"
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
		t.Errorf("rules differ from %s (-want +got; go test -update rewrites it):\n%s", path, d)
	}
}

func promtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	itest.Require(t, "promtool")
	cmd := exec.Command("promtool", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestPromtoolCheck runs `promtool check rules` (lint included) on the
// rules of every example config.
func TestPromtoolCheck(t *testing.T) {
	for _, path := range exampleConfigs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), generate(t, path), 0o600); err != nil {
				t.Fatal(err)
			}
			promtool(t, dir, "check", "rules", "rules.yaml")
		})
	}
}

// TestPromtoolScenarios runs testdata/scenarios_test.yaml (an outage pages,
// a slow burn tickets, no traffic stays silent) with `promtool test rules`
// on rules generated now.
func TestPromtoolScenarios(t *testing.T) {
	dir := t.TempDir()
	scen, err := os.ReadFile("testdata/scenarios_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"scenarios.rules.yaml": generate(t, "testdata/scenarios.yaml"), "scenarios_test.yaml": scen} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	promtool(t, dir, "test", "rules", "scenarios_test.yaml")
}

// TestPromtoolCalendarThresholds evaluates the thresholds of calendar
// windows with promtool at instants of months and quarters of different
// lengths, against slo.Tier.Threshold over the period serve uses.
func TestPromtoolCalendarThresholds(t *testing.T) {
	tier := slo.DefaultTiers()[0]
	var b bytes.Buffer
	b.WriteString("evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series: []\n    promql_expr_test:\n")
	for _, kind := range []string{"month", "quarter", "week", "28d"} {
		w, err := slo.ParseWindow(kind)
		if err != nil {
			t.Fatal(err)
		}
		// promtool's clock starts at 1970-01-01T00:00:00Z; 1972 is a leap year.
		for _, at := range []time.Duration{0, 40 * 24 * time.Hour, 100 * 24 * time.Hour, 200 * 24 * time.Hour, (2*365 + 40) * 24 * time.Hour} {
			now := time.Unix(0, 0).UTC().Add(at)
			want := tier.Threshold(w.Period(now, time.UTC))
			// In millionths, rounded: promtool compares floats exactly.
			fmt.Fprintf(&b, "      - expr: round(vector(%s) * 1e6)\n        eval_time: %s\n        exp_samples:\n          - labels: '{}'\n            value: %s\n",
				promrules.Threshold(tier, w), slo.FormatDuration(at), fmt.Sprint(math.Round(want*1e6)))
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thresholds_test.yaml"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	promtool(t, dir, "test", "rules", "thresholds_test.yaml")
}
