package export

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Datadog metric names.
const (
	DatadogSLOEvents = "headroom.slo.events"
	DatadogRequests  = "headroom.http.requests"
)

// DatadogMaxAge is the age past which Datadog refuses points.
const DatadogMaxAge = time.Hour

// EncodeDatadog encodes the change from prev to cur (consecutive
// snapshots) as a series API v1 payload: count metrics with interval 60 at
// cur's last minute, headroom.slo.events tagged slo, service and result,
// and headroom.http.requests tagged service, route and code (summed over
// method and node). Series that did not change are left out; nil when none
// did. tags are added to every series (an agent's node:NAME).
func EncodeDatadog(prev, cur Snapshot, tags ...string) ([]byte, error) {
	data, _, err := encodeDatadog(prev, cur, tags)
	return data, err
}

// encodeDatadog is EncodeDatadog, also returning the number of series.
func encodeDatadog(prev, cur Snapshot, extra []string) ([]byte, int, error) {
	deltas := map[string]float64{} // metric + "\x00" + tags
	var order []string
	for _, k := range cur.Sorted() {
		d := cur.Values[k] - prev.Values[k]
		if d <= 0 {
			continue
		}
		var metric string
		var tags []string
		switch k.Name {
		case SLOEvents:
			metric = DatadogSLOEvents
			tags = []string{"slo:" + k.Label("slo"), "service:" + k.Label("service"), "result:" + k.Label("result")}
		case HTTPRequests:
			metric = DatadogRequests
			tags = []string{"service:" + k.Label("service"), "route:" + k.Label("route"), "code:" + k.Label("code")}
		default:
			continue
		}
		tags = append(tags, extra...)
		id := metric + "\x00" + strings.Join(tags, "\x00")
		if _, ok := deltas[id]; !ok {
			order = append(order, id)
		}
		deltas[id] += d
	}
	if len(order) == 0 {
		return nil, 0, nil
	}
	ts := float64(cur.At.Add(-time.Minute).Unix())
	p := ddPayload{Series: make([]ddSeries, 0, len(order))}
	for _, id := range order {
		parts := strings.Split(id, "\x00")
		p.Series = append(p.Series, ddSeries{Metric: parts[0], Type: "count", Interval: 60,
			Points: [][2]float64{{ts, deltas[id]}}, Tags: parts[1:]})
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, 0, fmt.Errorf("datadog: %w", err)
	}
	return data, len(p.Series), nil
}

// ddPayload is the body of POST /api/v1/series. headroom does not link
// Datadog's API client (its transport pulls cgo zstd and OAuth2 into the
// binary); the tests check these bytes against the client's own models.
type ddPayload struct {
	Series []ddSeries `json:"series"`
}

type ddSeries struct {
	Metric   string       `json:"metric"`
	Type     string       `json:"type"`
	Interval int64        `json:"interval"`
	Points   [][2]float64 `json:"points"`
	Tags     []string     `json:"tags"`
}

// DatadogWriter posts payloads to Datadog's series API v1.
type DatadogWriter struct {
	BaseURL string // https://api.datadoghq.com
	APIKey  string
	Client  *http.Client
	Timeout time.Duration
}

// Send posts one payload; errors are as RemoteWriter.Send's.
func (w *DatadogWriter) Send(ctx context.Context, data []byte) error {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("DD-API-KEY", w.APIKey)
	return post(ctx, w.Client, w.Timeout, strings.TrimRight(w.BaseURL, "/")+"/api/v1/series", h, data)
}
