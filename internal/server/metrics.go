package server

import (
	"net/http"

	"github.com/headroom-slo/headroom/internal/tail"
)

// SourcesFunc returns the tailer's state per configured log.
type SourcesFunc func() []tail.State

// metrics is /metrics: a stub until the Prometheus exposition lands.
type metrics struct{}

func newMetrics(Options) *metrics { return &metrics{} }

func (m *metrics) handler() http.Handler { return http.NotFoundHandler() }

func (m *metrics) instrument(_ string, h http.Handler) http.Handler { return h }
