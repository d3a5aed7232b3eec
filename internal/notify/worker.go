package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// item is one delivery: a queued state change or, for Alertmanager, a
// refresh.
type item struct {
	id       int64 // a state change's note
	alert    Alert // a state change
	bad      error // the note could not be decoded: it fails at once
	refresh  bool
	alerts   []Alert // a refresh's firing alerts
	after    int64   // a refresh goes after the notes with IDs up to this
	gen      uint64  // a refresh's generation; a newer one supersedes it
	attempts int
}

// worker delivers one target's queue, one item at a time.
type worker struct {
	t    Target
	opts *Options
	wake chan struct{} // capacity 1: something was queued

	mu                             sync.Mutex
	notes                          int    // notes in the queue, the current one included
	last                           int64  // the highest note ID queued
	done                           int64  // the highest note ID delivered or given up
	cur                            *item  // being delivered (stays until done: head of line)
	pending                        *item  // a refresh waiting
	gen                            uint64 // refreshes set so far
	fails                          int    // consecutive failed attempts, for the backoff
	sent, failed, retries, dropped int64
	lastErr                        string
	lastSent                       time.Time
}

// load sets what the queue held at start.
func (w *worker) load(notes int, last int64) {
	w.mu.Lock()
	w.notes = notes
	w.last = max(w.last, last)
	w.mu.Unlock()
}

// noteQueued counts a note the queue stored.
func (w *worker) noteQueued(id int64) {
	w.mu.Lock()
	w.notes++
	w.last = max(w.last, id)
	w.mu.Unlock()
}

// noteDropped counts a note the queue dropped.
func (w *worker) noteDropped(n Note) {
	w.mu.Lock()
	w.notes--
	w.dropped++
	w.mu.Unlock()
	a, _ := decodeNote(n.Data)
	w.opts.Logger.Warn("notify queue full: dropped the oldest state change",
		"target", w.t.Name, "fingerprint", a.Fingerprint, "state", a.State)
}

func (w *worker) setRefresh(alerts []Alert) {
	w.mu.Lock()
	w.gen++
	w.pending = nil
	if len(alerts) > 0 {
		w.pending = &item{refresh: true, alerts: alerts, after: w.last, gen: w.gen}
	}
	w.mu.Unlock()
	w.signal()
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) stats() TargetStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.notes
	if w.cur != nil && w.cur.refresh {
		q++
	}
	if w.pending != nil {
		q++
	}
	return TargetStats{
		Name: w.t.Name, Type: w.t.Type, Queued: q,
		Sent: w.sent, Failed: w.failed, Retries: w.retries, Dropped: w.dropped,
		LastError: w.lastErr, LastSent: w.lastSent,
	}
}

func (w *worker) run(ctx context.Context) {
	fails := 0 // consecutive failures to read the queue
	for ctx.Err() == nil {
		it, err := w.next(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			fails++
			wait := backoff(w.opts.MinBackoff, w.opts.MaxBackoff, fails, 0)
			w.opts.Logger.Error("notify: reading the queue", "target", w.t.Name, "err", err, "retry_in", wait)
			sleep(ctx, wait)
			continue
		case it != nil:
			fails = 0
			w.deliver(ctx, it)
			continue
		}
		select {
		case <-ctx.Done():
		case <-w.wake:
		}
	}
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// next returns the item to deliver: the current one if any, else the
// queue's oldest note not yet done or the pending refresh, whichever came
// first.
func (w *worker) next(ctx context.Context) (*item, error) {
	w.mu.Lock()
	cur, done := w.cur, w.done
	w.mu.Unlock()
	if cur != nil {
		return cur, nil
	}
	n, ok, err := w.opts.Queue.NextNote(ctx, w.t.Name, done)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.pending != nil && (!ok || n.ID > w.pending.after):
		w.cur, w.pending = w.pending, nil
	case ok:
		it := &item{id: n.ID}
		it.alert, it.bad = decodeNote(n.Data)
		w.cur = it
	}
	return w.cur, nil
}

// outcome is how one attempt went.
type outcome struct {
	status     int // HTTP status; 0: no response
	err        error
	retry      bool
	retryAfter time.Duration // the server's Retry-After, if any
}

// deliver attempts it until it is delivered, fails permanently, is
// superseded (a refresh) or ctx ends (it then stays current).
func (w *worker) deliver(ctx context.Context, it *item) {
	for {
		now := w.opts.Now()
		out := w.attempt(ctx, it, now)
		if out.err != nil && ctx.Err() != nil {
			return // interrupted, not failed: the next Run tries again
		}
		it.attempts++
		// Stats first, then the log, so that whoever reads the log finds
		// the stats up to date.
		w.mu.Lock()
		if out.err == nil {
			w.sent++
			w.lastSent, w.lastErr, w.fails = now, "", 0
			w.mu.Unlock()
			w.finish(ctx, it)
			w.record(it, now, out)
			return
		}
		w.lastErr = out.err.Error()
		if !out.retry {
			w.failed++
			w.fails = 0
			w.mu.Unlock()
			w.finish(ctx, it)
			w.record(it, now, out)
			w.opts.Logger.Error("notify delivery failed; not retried", w.logAttrs(it, out)...)
			return
		}
		w.retries++
		w.fails++
		wait := backoff(w.opts.MinBackoff, w.opts.MaxBackoff, w.fails, out.retryAfter)
		w.mu.Unlock()
		w.record(it, now, out)
		w.opts.Logger.Warn("notify delivery failed; retrying", append(w.logAttrs(it, out), "retry_in", wait)...)

		if !sleep(ctx, wait) {
			return
		}
		if it.refresh {
			w.mu.Lock()
			superseded := w.gen != it.gen
			if superseded {
				w.cur = nil
			}
			w.mu.Unlock()
			if superseded {
				return
			}
		}
	}
}

// finish ends it, delivered or given up: a note leaves the queue, then
// the counts (so that a queue counted empty is empty).
func (w *worker) finish(ctx context.Context, it *item) {
	if !it.refresh {
		// Even when ctx ended as the delivery succeeded: it must not be
		// delivered again. Should the removal fail, done keeps this
		// process from delivering it again; a restart would.
		if err := w.opts.Queue.RemoveNote(context.WithoutCancel(ctx), it.id); err != nil {
			w.opts.Logger.Error("notify: removing a delivered state change from the queue", "target", w.t.Name,
				"fingerprint", it.alert.Fingerprint, "state", it.alert.State, "err", err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur = nil
	if !it.refresh {
		w.notes--
		w.done = max(w.done, it.id)
	}
}

func (w *worker) logAttrs(it *item, out outcome) []any {
	return []any{"target", w.t.Name, "type", w.t.Type, "fingerprint", it.alert.Fingerprint,
		"attempt", it.attempts, "status", out.status, "err", out.err}
}

func (w *worker) record(it *item, now time.Time, out outcome) {
	if w.opts.Log == nil {
		return
	}
	d := Delivery{Target: w.t.Name, Type: w.t.Type, Fingerprint: it.alert.Fingerprint, State: it.alert.State,
		At: now, Attempt: it.attempts, OK: out.err == nil, Status: out.status}
	if it.refresh {
		d.Fingerprint, d.State = "", StateRefresh
	}
	if out.err != nil {
		d.Error = out.err.Error()
	}
	w.opts.Log.Record(d)
}

// backoff returns the wait before retry n (n ≥ 1): min·2^(n−1) capped at
// max, jittered to a uniform draw from its upper half so that targets
// failing together do not retry together; a longer Retry-After is honoured
// up to max.
func backoff(lo, hi time.Duration, n int, retryAfter time.Duration) time.Duration {
	b := lo
	for i := 1; i < n && b < hi; i++ {
		b *= 2
	}
	b = min(b, hi)
	b = b/2 + rand.N(b/2+1)
	if retryAfter > b {
		b = min(retryAfter, hi)
	}
	return b
}

// attempt makes one request for it.
func (w *worker) attempt(ctx context.Context, it *item, now time.Time) outcome {
	if it.bad != nil {
		return outcome{err: it.bad}
	}
	target, body, hdr, err := w.encode(it, now)
	if err != nil {
		return outcome{err: fmt.Errorf("encode: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, w.t.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return outcome{err: w.redact(err)}
	}
	req.Header = hdr
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "headroom")
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return outcome{err: w.redact(err), retry: true}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	out := outcome{status: resp.StatusCode}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return out
	}
	msg := strings.Join(strings.Fields(string(snippet)), " ")
	if msg != "" {
		msg = ": " + msg
	}
	out.err = fmt.Errorf("%s %s: %s%s", req.Method, w.display(), resp.Status, msg)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		out.retry = true
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			out.retryAfter = time.Duration(s) * time.Second
		}
	}
	return out
}

// encode returns the request for it: URL, body and headers.
func (w *worker) encode(it *item, now time.Time) (string, []byte, http.Header, error) {
	hdr := http.Header{}
	switch w.t.Type {
	case TypeAlertmanager:
		alerts := it.alerts
		if !it.refresh {
			alerts = []Alert{it.alert}
		}
		body, err := alertmanagerBody(alerts, now, 4*w.opts.ResendEvery)
		return strings.TrimSuffix(w.t.URL, "/") + "/api/v2/alerts", body, hdr, err
	case TypeSlack:
		body, err := slackBody(&it.alert)
		return w.t.URL, body, hdr, err
	default:
		body, err := webhookBody(&it.alert)
		ts := now.Unix()
		hdr.Set("X-Headroom-Timestamp", strconv.FormatInt(ts, 10))
		if w.t.Secret != "" {
			hdr.Set("X-Headroom-Signature", Sign(w.t.Secret, ts, body))
		}
		return w.t.URL, body, hdr, err
	}
}

// display returns the target's URL as errors and logs may show it: a Slack
// URL is a secret, so only its host; others without password or query.
func (w *worker) display() string {
	u, err := url.Parse(w.t.URL)
	if err != nil {
		return w.t.Type
	}
	if w.t.Type == TypeSlack {
		return u.Scheme + "://" + u.Host + "/…"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.Fragment = ""
	return u.Redacted()
}

// redact replaces the URL in a transport error with display's.
func (w *worker) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, w.display(), ue.Err)
	}
	return err
}
