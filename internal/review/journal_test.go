package review

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/store"
)

// checkCase is a journal entry, and what checking it gives: the entry to
// store, or an error.
type checkCase[T any] struct {
	name    string
	in      T
	want    T
	wantErr string
}

func runCheckCases[T any](t *testing.T, check func(T) (T, error), cases []checkCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := check(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("check(%+v) = %v, want error %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("check(%+v) (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

var (
	checkNow  = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	checkThen = checkNow.Add(-time.Hour)
)

func TestCheckChange(t *testing.T) {
	cfg := &config.Config{Services: []config.Service{{Name: "web"}}}
	runCheckCases(t, func(e store.ChangeEvent) (store.ChangeEvent, error) { return CheckChange(cfg, e, checkNow) }, []checkCase[store.ChangeEvent]{
		{"defaults", store.ChangeEvent{Service: "web"}, store.ChangeEvent{Service: "web", Kind: "deploy", At: checkNow}, ""},
		{"as given", store.ChangeEvent{Service: "web", Kind: "flag", Version: "v2", Description: "on", At: checkThen},
			store.ChangeEvent{Service: "web", Kind: "flag", Version: "v2", Description: "on", At: checkThen}, ""},
		{"no service", store.ChangeEvent{Kind: "deploy"}, store.ChangeEvent{}, `service "": want a configured service`},
		{"unknown service", store.ChangeEvent{Service: "api"}, store.ChangeEvent{}, `service "api": want a configured service`},
	})
}

func TestCheckToil(t *testing.T) {
	cfg := &config.Config{Services: []config.Service{{Name: "web"}, {Name: "api"}}}
	runCheckCases(t, func(e store.ToilEntry) (store.ToilEntry, error) { return CheckToil(cfg, e, checkNow) }, []checkCase[store.ToilEntry]{
		{"defaults", store.ToilEntry{Minutes: 45}, store.ToilEntry{Minutes: 45, Category: "interrupt", At: checkNow}, ""},
		{"as given", store.ToilEntry{Minutes: 1440, Category: "manual", Tag: "db-restart", At: checkThen},
			store.ToilEntry{Minutes: 1440, Category: "manual", Tag: "db-restart", At: checkThen}, ""},
		{"no minutes", store.ToilEntry{}, store.ToilEntry{}, "minutes 0: want 1 to 1440"},
		{"negative", store.ToilEntry{Minutes: -5}, store.ToilEntry{}, "minutes -5: want 1 to 1440"},
		{"over a day", store.ToilEntry{Minutes: 1441}, store.ToilEntry{}, "minutes 1441: want 1 to 1440"},
		{"a minute and a half", store.ToilEntry{Minutes: 1.5}, store.ToilEntry{Minutes: 1.5, Category: "interrupt", At: checkNow}, ""},
		{"not a number", store.ToilEntry{Minutes: math.NaN()}, store.ToilEntry{}, "minutes NaN: want 1 to 1440"},
		{"infinite", store.ToilEntry{Minutes: math.Inf(1)}, store.ToilEntry{}, "minutes +Inf: want 1 to 1440"},
		{"next to nothing", store.ToilEntry{Minutes: 1e-300}, store.ToilEntry{}, "minutes 1e-300: want 1 to 1440"},
		{"a configured service", store.ToilEntry{Minutes: 5, Service: "api"}, store.ToilEntry{Minutes: 5, Service: "api", Category: "interrupt", At: checkNow}, ""},
		{"an unknown service", store.ToilEntry{Minutes: 5, Service: "wbe"}, store.ToilEntry{}, `service: unknown service "wbe" (did you mean "web"? configured: web, api)`},
		{"under a minute", store.ToilEntry{Minutes: 0.5}, store.ToilEntry{}, "minutes 0.5: want 1 to 1440"},
	})
}
