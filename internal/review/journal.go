package review

import (
	"fmt"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/store"
)

// The rules of what the review reads from the journal: change events and
// toil entries, whoever records them (POST /api/v1/events and
// /api/v1/toil, `headroom event add|import`, `headroom toil add`).

// DefaultChangeKind is a change event's kind when it names none.
const DefaultChangeKind = "deploy"

// DefaultToilCategory is a toil entry's category when it names none.
const DefaultToilCategory = "interrupt"

// MinToilMinutes and MaxToilMinutes bound what one toil entry may take:
// from a minute to a day.
const (
	MinToilMinutes = 1
	MaxToilMinutes = 24 * 60
)

// CheckChange checks a change event against the config and fills in its
// defaults: its service must be configured, its kind is DefaultChangeKind
// unless it names one, and it happened at now unless it says when. It
// returns the event to store.
func CheckChange(cfg *config.Config, e store.ChangeEvent, now time.Time) (store.ChangeEvent, error) {
	if e.Service == "" || cfg.Service(e.Service) == nil {
		return e, fmt.Errorf("service %q: want a configured service", e.Service)
	}
	if e.Kind == "" {
		e.Kind = DefaultChangeKind
	}
	if e.At.IsZero() {
		e.At = now
	}
	return e, nil
}

// CheckToil checks a toil entry against the config and fills in its
// defaults: it took from MinToilMinutes to MaxToilMinutes (a number: not
// NaN), its service, when it names one, is configured (the error lists the
// configured ones), its category is DefaultToilCategory unless it names one,
// and it happened at now unless it says when. It returns the entry to store.
func CheckToil(cfg *config.Config, e store.ToilEntry, now time.Time) (store.ToilEntry, error) {
	if !(e.Minutes >= MinToilMinutes && e.Minutes <= MaxToilMinutes) { // NaN compares false
		return e, fmt.Errorf("minutes %v: want %d to %d", e.Minutes, MinToilMinutes, MaxToilMinutes)
	}
	if e.Service != "" {
		if err := cfg.CheckService(e.Service); err != nil {
			return e, fmt.Errorf("service: %w", err)
		}
	}
	if e.Category == "" {
		e.Category = DefaultToilCategory
	}
	if e.At.IsZero() {
		e.At = now
	}
	return e, nil
}
