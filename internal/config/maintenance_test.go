package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const maintenanceHead = `services:
  - {name: web, logs: [{path: /a.log}]}
  - {name: api, logs: [{path: /b.log}]}
maintenance:
`

func TestMaintenanceProblemsAllAtOnce(t *testing.T) {
	_, err := Parse([]byte(maintenanceHead+`  - service: nope
    start: 2026-11-28T02:00:30+01:00
    duration: 90s
  - service: web
    start: tomorrow
  - start: 2026-11-28T02:00:00Z
    end: 2026-11-28T01:00:00Z
    duration: 1h
    until: 2026-12-01T00:00:00Z
  - start: 2026-11-28T02:00:00Z
    duration: 8d
    every: [sat, caturday]
    timezone: Mars/Olympus
`), "m.yaml")
	if err == nil {
		t.Fatal("bad windows accepted")
	}
	want := []string{
		`m.yaml:5: maintenance[0].service: unknown service "nope" (configured: web, api)`,
		`m.yaml:6: maintenance[0].start: 2026-11-28T02:00:30+01:00: want a whole minute (cells are per minute, so a window excludes whole minutes)`,
		`m.yaml:7: maintenance[0].duration: 1m30s: want whole minutes (cells are per minute)`,
		`m.yaml:9: maintenance[1].start: "tomorrow": want an RFC 3339 instant like 2026-11-28T02:00:00+01:00`,
		`m.yaml:8: maintenance[1].end: required: set end or duration`,
		`m.yaml:12: maintenance[2].duration: set end or duration, not both`,
		`m.yaml:13: maintenance[2].until: only for a window that repeats (every)`,
		`m.yaml:16: maintenance[3].every: "caturday": want weekdays like [sat, sun] (mon, tue, wed, thu, fri, sat, sun)`,
		`m.yaml:17: maintenance[3].timezone: "Mars/Olympus": unknown time zone Mars/Olympus`,
		`m.yaml:15: maintenance[3].duration: 192h0m0s: a weekly window lasts at most 7d`,
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestMaintenanceIntervals(t *testing.T) {
	c, err := Parse([]byte(maintenanceHead+`  - {service: web, start: "2026-03-21T02:00:00+01:00", duration: 2h, every: [Saturday, sun], timezone: Europe/Paris, until: "2026-04-05T00:00:00+02:00"}
  - {start: "2026-03-25T12:00:00Z", end: "2026-03-25T12:30:00Z", note: all}
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for _, iv := range MergeIntervals(c.MaintenanceOf("web"), from, to) {
		got = append(got, iv.Start.Format(time.RFC3339)+" "+iv.End.Sub(iv.Start).String())
	}
	// 02:00 Paris: 01:00Z in winter, 00:00Z in summer time; on March 29
	// 02:00 does not exist (clocks jump to 03:00), and the occurrence
	// starts at 03:00 summer time, 01:00Z, as RFC 5545 says; until stops
	// it after April 4.
	want := []string{
		"2026-03-21T01:00:00Z 2h0m0s", "2026-03-22T01:00:00Z 2h0m0s",
		"2026-03-25T12:00:00Z 30m0s",
		"2026-03-28T01:00:00Z 2h0m0s", "2026-03-29T01:00:00Z 2h0m0s",
		"2026-04-04T00:00:00Z 2h0m0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("occurrences (-want +got):\n%s", diff)
	}
	if n := len(c.MaintenanceOf("api")); n != 1 {
		t.Errorf("api has %d windows, want the one of every service", n)
	}
	// An occurrence open at from is returned whole.
	ivs := c.Maintenance[0].Intervals(time.Date(2026, 3, 21, 2, 0, 0, 0, time.UTC), to)
	if len(ivs) == 0 || !ivs[0].Start.Equal(time.Date(2026, 3, 21, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("open occurrence: %v", ivs)
	}
}
