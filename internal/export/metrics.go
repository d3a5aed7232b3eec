package export

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// The exporter's metrics, for serve's and agent's /metrics (docs/metrics.md).
var (
	exportLabels    = []string{"target", "kind"}
	descSentMinutes = prometheus.NewDesc("headroom_export_sent_minutes_total",
		"Requests (one a minute, live) the export target took.", exportLabels, nil)
	descSentSamples = prometheus.NewDesc("headroom_export_sent_samples_total",
		"Samples (series values) in the requests the export target took.", exportLabels, nil)
	descFailed = prometheus.NewDesc("headroom_export_failed_sends_total",
		"Sends that failed (network, 5xx, 429) and are retried with backoff; the request stays queued.", exportLabels, nil)
	descRejected = prometheus.NewDesc("headroom_export_rejected_minutes_total",
		"Requests the export target refused for good (a 4xx other than 408 and 429): dropped, logged, never retried.", exportLabels, nil)
	descExpired = prometheus.NewDesc("headroom_export_expired_minutes_total",
		"Queued requests older than the target takes (Datadog: an hour): dropped, logged.", exportLabels, nil)
	descDropped = prometheus.NewDesc("headroom_export_dropped_minutes_total",
		"Queued requests dropped, oldest first, because the queue was full (export.queue.max_bytes) or unreadable; logged.", exportLabels, nil)
	descQueueMinutes = prometheus.NewDesc("headroom_export_queue_minutes",
		"Requests waiting in the target's on-disk queue.", exportLabels, nil)
	descQueueBytes = prometheus.NewDesc("headroom_export_queue_bytes",
		"Bytes of the requests waiting in the target's on-disk queue.", exportLabels, nil)
	descQueueNewest = prometheus.NewDesc("headroom_export_queued_minute_timestamp_seconds",
		"End of the newest minute ever queued for the target (Unix seconds; 0: none yet).", exportLabels, nil)
	descLastSuccess = prometheus.NewDesc("headroom_export_last_success_timestamp_seconds",
		"When the target last took a request (Unix seconds; 0: not since the process started).", exportLabels, nil)
	descLastError = prometheus.NewDesc("headroom_export_last_error_timestamp_seconds",
		"When a send to the target last failed or was refused (Unix seconds; 0: not since the process started).", exportLabels, nil)
	descFailing = prometheus.NewDesc("headroom_export_last_error_info",
		"1 while the target's last send failed or was refused, with the error (cut to 200 bytes); absent once a send succeeds.",
		append(exportLabels[:2:2], "error"), nil)
)

// Collector returns a collector of the targets' metrics.
func Collector(targets []*Target) prometheus.Collector { return collector(targets) }

type collector []*Target

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSentMinutes, descSentSamples, descFailed, descRejected, descExpired, descDropped,
		descQueueMinutes, descQueueBytes, descQueueNewest, descLastSuccess, descLastError, descFailing} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	unix := func(t interface{ Unix() int64 }) float64 { return float64(t.Unix()) }
	for _, t := range c {
		s := t.State()
		l := []string{s.URL, s.Kind}
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
		}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
		}
		counter(descSentMinutes, s.Sent)
		counter(descSentSamples, s.Samples)
		counter(descFailed, s.Failed)
		counter(descRejected, s.Rejected)
		counter(descExpired, s.Expired)
		counter(descDropped, s.Queue.Dropped)
		gauge(descQueueMinutes, float64(s.Queue.Requests))
		gauge(descQueueBytes, float64(s.Queue.Bytes))
		var v float64
		if last := t.Queue.Last(); !last.IsZero() {
			v = unix(last)
		}
		gauge(descQueueNewest, v)
		v = 0
		if !s.LastSuccess.IsZero() {
			v = unix(s.LastSuccess)
		}
		gauge(descLastSuccess, v)
		v = 0
		if !s.LastErrorAt.IsZero() {
			v = unix(s.LastErrorAt)
		}
		gauge(descLastError, v)
		if s.LastError != "" {
			msg := s.LastError
			if len(msg) > 200 {
				msg = msg[:200]
			}
			msg = strings.ToValidUTF8(msg, "") // a label value must be UTF-8; the receiver's answer is quoted in it
			ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, 1, s.URL, s.Kind, msg)
		}
	}
}
