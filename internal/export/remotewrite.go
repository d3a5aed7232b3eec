package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
)

// EncodeRemoteWrite encodes snapshots (in time order) as one Prometheus
// remote write 1.0 request, snappy-compressed: each series with a sample at
// each snapshot's time. Labels with an empty value are left out, as
// Prometheus does.
func EncodeRemoteWrite(snaps []Snapshot) ([]byte, error) {
	if len(snaps) == 0 {
		return nil, nil
	}
	index := map[Key]int{}
	var req prompb.WriteRequest
	for _, s := range snaps {
		ts := s.At.UnixMilli()
		for _, k := range s.Sorted() {
			i, ok := index[k]
			if !ok {
				i = len(req.Timeseries)
				index[k] = i
				req.Timeseries = append(req.Timeseries, prompb.TimeSeries{Labels: promLabels(k)})
			}
			req.Timeseries[i].Samples = append(req.Timeseries[i].Samples, prompb.Sample{Value: s.Values[k], Timestamp: ts})
		}
	}
	raw, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("remote write: %w", err)
	}
	return snappy.Encode(nil, raw), nil
}

// promLabels returns k's labels sorted by name, as remote write wants.
func promLabels(k Key) []prompb.Label {
	p := k.Pairs()
	out := []prompb.Label{{Name: "__name__", Value: k.Name}}
	for i := 0; i+1 < len(p); i += 2 {
		if p[i+1] != "" {
			out = append(out, prompb.Label{Name: p[i], Value: p[i+1]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RemoteWriter sends encoded requests to a remote write receiver.
type RemoteWriter struct {
	URL     string
	Header  http.Header // authorization and extra headers
	Client  *http.Client
	Timeout time.Duration
}

// Send posts one request. An error wrapping ErrRejected means the
// receiver refused it for good (a 4xx other than 429): retrying cannot help.
func (w *RemoteWriter) Send(ctx context.Context, data []byte) error {
	h := http.Header{}
	for k, v := range w.Header {
		h[k] = v
	}
	h.Set("Content-Encoding", "snappy")
	h.Set("Content-Type", "application/x-protobuf")
	h.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	return post(ctx, w.Client, w.Timeout, w.URL, h, data)
}

// ErrRejected wraps a receiver's refusal of a request.
var ErrRejected = errors.New("rejected")

func post(ctx context.Context, c *http.Client, timeout time.Duration, url string, h http.Header, data []byte) error {
	if c == nil {
		c = http.DefaultClient
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	req.Header = h
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout:
		return fmt.Errorf("%w: %s: %s", ErrRejected, resp.Status, bytes.TrimSpace(body))
	}
	return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
}
