package datadog

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroom-slo/headroom/internal/config"
)

// SLOCorrection is the body of POST /api/v1/slo/correction: a maintenance
// window of headroom as a correction of one SLO, category Scheduled
// Maintenance. A one-off window has Start and End; a weekly one Start (its
// first occurrence), Duration and an RFC 5545 Rrule read in Timezone.
type SLOCorrection struct {
	Data SLOCorrectionData `json:"data"`
}

// SLOCorrectionData is a correction's type and attributes.
type SLOCorrectionData struct {
	Type       string                  `json:"type"` // correction
	Attributes SLOCorrectionAttributes `json:"attributes"`
}

// SLOCorrectionAttributes say which SLO is corrected, when and why.
type SLOCorrectionAttributes struct {
	SLOID       string `json:"slo_id"`
	Category    string `json:"category"`
	Description string `json:"description,omitempty"`
	Start       int64  `json:"start"`              // Unix seconds
	End         *int64 `json:"end,omitempty"`      // a one-off window
	Duration    *int64 `json:"duration,omitempty"` // seconds, with Rrule
	Rrule       string `json:"rrule,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
}

// MaintenanceCategory is the correction category of a maintenance window.
const MaintenanceCategory = "Scheduled Maintenance"

// corrections adds a correction of every SLO defined for the service of
// each window (every SLO for a window of every service).
func (d *Definitions) corrections(cfg *config.Config, windows []config.Maintenance) {
	service := map[string]string{} // Datadog SLO name → headroom service
	for _, o := range cfg.SLOs {
		service[o.Name], service[o.Name+"-logs"] = o.Service, o.Service
	}
	for _, m := range windows {
		for _, s := range d.SLOs {
			if svc, ok := service[s.Name]; !ok || !m.AppliesTo(svc) {
				continue
			}
			d.SLOCorrections = append(d.SLOCorrections, correction(s.Name, m))
		}
	}
}

func correction(slo string, m config.Maintenance) SLOCorrection {
	a := SLOCorrectionAttributes{SLOID: SLOID(slo), Category: MaintenanceCategory, Start: m.Start.Time().Unix()}
	desc := "headroom maintenance window"
	if m.ID > 0 {
		desc += fmt.Sprintf(" #%d", m.ID)
	}
	if m.Note != "" {
		desc += ": " + m.Note
	}
	a.Description = desc
	days := m.Days()
	if len(days) == 0 {
		end := m.Start.Time().Add(m.Length()).Unix()
		a.End = &end
		return SLOCorrection{Data: SLOCorrectionData{Type: "correction", Attributes: a}}
	}
	dur := int64(m.Length() / time.Second)
	a.Duration = &dur
	var by []string
	for _, d := range days {
		by = append(by, strings.ToUpper(d.String()[:2]))
	}
	a.Rrule = "FREQ=WEEKLY;BYDAY=" + strings.Join(by, ",")
	if u := m.Until.Time(); !u.IsZero() {
		a.Rrule += ";UNTIL=" + u.UTC().Format("20060102T150405Z")
	}
	a.Timezone = m.Timezone.Location().String()
	// The first occurrence: Datadog repeats from start, in timezone.
	if first := m.Intervals(m.Start.Time(), m.Start.Time().AddDate(0, 0, 8)); len(first) > 0 {
		a.Start = first[0].Start.Unix()
	}
	return SLOCorrection{Data: SLOCorrectionData{Type: "correction", Attributes: a}}
}
