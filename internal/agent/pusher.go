package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/store"
)

// How pushes are paced.
const (
	// MaxPushBytes is about the most spooled bytes one push carries.
	MaxPushBytes = 4 << 20
	// Heartbeat is how often an agent with nothing new pushes its state
	// anyway, so a server tells a quiet agent from a dead one.
	Heartbeat = 30 * time.Second
	// DefaultPushInterval is the least time between two pushes to a server
	// while the agent keeps up (Options.PushInterval): the commits of the
	// polls in between go in one push. A push per poll (4 a second) cost
	// the agent about a third of its CPU when tailing a busy log, and a
	// server 200 times more pushes per agent than it needs; see
	// docs/performance.md, Fleet.
	DefaultPushInterval = 10 * time.Second
	// minBackoff and maxBackoff bound the wait after a failed push,
	// doubled at each failure, with jitter.
	minBackoff = time.Second
	maxBackoff = 2 * time.Minute
	// pushTimeout bounds one push.
	pushTimeout = 90 * time.Second
)

// Target is a server an agent pushes to.
type Target struct {
	URL   string
	Token string
}

// Pushers push the spool to every target, each from its own cursor.
type Pushers struct {
	st      *store.Store
	spool   *Spool
	name    string
	inst    string
	log     *slog.Logger
	client  *http.Client
	state   func(ctx context.Context) push.State
	targets []*pusher
	// every is the least time between two pushes to a target, unless a
	// backlog or a retry.
	every time.Duration
	// trimMu serialises trimming the spool to the slowest cursor.
	trimMu sync.Mutex
	// others are the spool's other readers' cursors (the exporter's).
	others []func() int64
}

// pusher is one target's cursor and counters.
type pusher struct {
	Target
	key string // the cursor's meta key

	mu        sync.Mutex
	cursor    int64
	ok        int64 // pushes answered 2xx
	failed    int64 // pushes that failed and will be retried
	rejected  int64 // commits the server refused as bad: dropped, never retried
	lastOK    time.Time
	lastError string
	failing   bool
}

// NewPushers makes the pushers of targets, each from its stored cursor.
// state reports the agent's state for each push; every is the least time
// between two pushes to a target while it keeps up (0: DefaultPushInterval).
func NewPushers(ctx context.Context, st *store.Store, spool *Spool, name, instance string, targets []Target, every time.Duration, state func(context.Context) push.State, log *slog.Logger) (*Pushers, error) {
	if every <= 0 {
		every = DefaultPushInterval
	}
	p := &Pushers{st: st, spool: spool, name: name, inst: instance, log: log, state: state, every: every,
		client: &http.Client{Timeout: pushTimeout}}
	for _, t := range targets {
		pt := &pusher{Target: t, key: "push_cursor " + strings.TrimRight(t.URL, "/")}
		v, _, err := st.Meta(ctx, pt.key)
		if err != nil {
			return nil, err
		}
		if v != "" {
			pt.cursor, _ = strconv.ParseInt(v, 10, 64)
		}
		p.targets = append(p.targets, pt)
	}
	return p, nil
}

// Run pushes to every target until ctx ends.
func (p *Pushers) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, t := range p.targets {
		wake := p.spool.subscribe()
		wg.Go(func() { p.run(ctx, t, wake) })
	}
	wg.Wait()
	return nil
}

// run pushes to t: the rows after its cursor as soon as there are any but
// not within p.every of the last push (a backlog goes on at once), a
// heartbeat when there are none for a while, and after a failure again
// with backoff.
func (p *Pushers) run(ctx context.Context, t *pusher, wake <-chan struct{}) {
	backoff := time.Duration(0)
	var last time.Time
	for {
		var wait time.Duration
		switch {
		case backoff > 0:
			wait = backoff/2 + rand.N(backoff/2+1) // jitter: herds of agents spread out
		case time.Since(last) >= Heartbeat:
			wait = 0
		default:
			wait = Heartbeat - time.Since(last)
		}
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-wake:
				// A new row does not cut a backoff short, nor the
				// interval since the last push: the rows of the polls
				// in between go together.
				if backoff == 0 {
					timer.Reset(p.every - time.Since(last))
				}
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-timer.C:
				}
			case <-timer.C:
			}
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		more, err := p.pushOnce(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			continue
		}
		backoff = 0
		last = time.Now()
		if more {
			last = time.Time{} // a backlog: go on at once
		}
	}
}

// outCommit is a spooled commit as sent: its services are the row's bytes.
type outCommit struct {
	Seq      int64           `json:"seq"`
	Services json.RawMessage `json:"services"`
}

// outPush is push.Push with spooled commits.
type outPush struct {
	Agent    string      `json:"agent"`
	Instance string      `json:"instance"`
	Sent     time.Time   `json:"sent"`
	State    push.State  `json:"state"`
	Commits  []outCommit `json:"commits"`
}

// pushOnce sends the rows after t's cursor (or a heartbeat) and moves the
// cursor when the server has them; more reports rows left after them.
func (p *Pushers) pushOnce(ctx context.Context, t *pusher) (more bool, err error) {
	t.mu.Lock()
	cursor := t.cursor
	t.mu.Unlock()
	rows, err := p.st.ReadSpool(ctx, cursor, MaxPushBytes)
	if err != nil {
		return false, p.failed(t, err)
	}
	out := outPush{Agent: p.name, Instance: p.inst, Sent: time.Now().UTC(), State: p.state(ctx), Commits: []outCommit{}}
	// What waits for the server once it has this push.
	after := cursor
	if len(rows) > 0 {
		after = rows[len(rows)-1].Seq
	}
	sp, err := p.st.Spool(ctx, after)
	if err == nil {
		out.State.SpoolCommits, out.State.SpoolBytes, out.State.Dropped = sp.Rows, sp.Bytes, sp.Dropped
	}
	for _, r := range rows {
		out.Commits = append(out.Commits, outCommit{Seq: r.Seq, Services: r.Data})
	}
	body, err := push.EncodeJSON(&out)
	if err != nil {
		return false, p.failed(t, err)
	}
	rejected, err := p.post(ctx, t, body)
	if err != nil {
		return false, p.failed(t, err)
	}
	next := cursor
	if len(rows) > 0 {
		next = rows[len(rows)-1].Seq
	}
	if err := p.st.SetMeta(ctx, t.key, strconv.FormatInt(next, 10)); err != nil {
		return false, p.failed(t, err)
	}
	t.mu.Lock()
	t.cursor, t.lastOK = next, time.Now()
	t.ok++
	if rejected != "" {
		t.rejected += int64(len(rows))
	}
	recovered := t.failing
	t.failing, t.lastError = false, ""
	t.mu.Unlock()
	if rejected != "" {
		p.log.Error("push: the server refused commits as bad; they are dropped for it", "server", t.URL, "commits", len(rows), "through", next, "err", rejected)
	} else if recovered {
		p.log.Info("push: the server takes pushes again", "server", t.URL, "cursor", next)
	}
	p.trim(ctx)
	return len(rows) > 0 && sp.Rows > 0, nil
}

// post sends a push. A 2xx is success; a 400 or 413 is a push the server
// will never take (rejected, with its reason): the cursor moves past it.
// Anything else fails and is retried.
func (p *Pushers) post(ctx context.Context, t *pusher, body []byte) (rejected string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(t.URL, "/")+push.Path, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+t.Token)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return "", nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusRequestEntityTooLarge:
		return fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(msg)), nil
	}
	return "", fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
}

// failed counts a failed push, logging the first of a run of failures.
func (p *Pushers) failed(t *pusher, err error) error {
	t.mu.Lock()
	t.failed++
	first := !t.failing
	t.failing, t.lastError = true, err.Error()
	t.mu.Unlock()
	if first && !errors.Is(err, context.Canceled) {
		p.log.Warn("push failed; the spool keeps the commits and retries with backoff", "server", t.URL, "err", err)
	}
	return err
}

// trim drops the rows every target has.
func (p *Pushers) trim(ctx context.Context) {
	p.trimMu.Lock()
	defer p.trimMu.Unlock()
	low := int64(-1)
	for _, t := range p.targets {
		t.mu.Lock()
		if low < 0 || t.cursor < low {
			low = t.cursor
		}
		t.mu.Unlock()
	}
	for _, c := range p.others {
		if v := c(); low < 0 || v < low {
			low = v
		}
	}
	if low > 0 {
		if err := p.st.TrimSpool(ctx, low); err != nil {
			p.log.Warn("push: trim the spool", "err", err)
		}
	}
}

// TargetState is a target's pushes as of now.
type TargetState struct {
	URL       string    `json:"url"`
	Cursor    int64     `json:"cursor"`
	Behind    int64     `json:"behind_commits"`
	BehindB   int64     `json:"behind_bytes"`
	Lag       float64   `json:"lag_seconds"` // age of the oldest commit it does not have yet
	OK        int64     `json:"pushes"`
	Failed    int64     `json:"failed"`
	Rejected  int64     `json:"rejected_commits"`
	LastOK    time.Time `json:"last_push,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// States returns every target's state.
func (p *Pushers) States(ctx context.Context) []TargetState {
	var out []TargetState
	for _, t := range p.targets {
		t.mu.Lock()
		ts := TargetState{URL: t.URL, Cursor: t.cursor, OK: t.ok, Failed: t.failed, Rejected: t.rejected, LastOK: t.lastOK, LastError: t.lastError}
		t.mu.Unlock()
		if sp, err := p.st.Spool(ctx, ts.Cursor); err == nil {
			ts.Behind, ts.BehindB = sp.Rows, sp.Bytes
			if !sp.Oldest.IsZero() {
				ts.Lag = time.Since(sp.Oldest).Seconds()
			}
		}
		out = append(out, ts)
	}
	return out
}
