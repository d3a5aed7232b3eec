package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/report"
	"github.com/headroom-slo/headroom/internal/store"
)

// PushStore stores what agents push (a *store.Store).
type PushStore interface {
	CommitPush(ctx context.Context, agent, instance, state string, commits []store.PushedCommit, now time.Time) (int, error)
}

// Push takes agents' pushes at POST /api/v1/push (server.push).
type Push struct {
	// Token is the bearer token every push must carry.
	Token string
	Store PushStore
	// Known reports whether a service is configured here.
	Known func(service string) bool
}

var errTooLarge = errors.New("too large")

// pushTimeout bounds reading and storing one push, the wait for a slot
// included: a drained spool's push is large.
const pushTimeout = time.Minute

// maxPushes is how many pushes are read and stored at once: one decoding
// while another is stored is all the store's one writer can use, and each
// push decoded takes several times its body in memory. When 200 agents came
// back at once with backlogs (scripts/bench-fleet.sh with a large
// FLEET_BACKLOG), reading them all together took serve past 15 GiB; the
// others now wait for a slot, unread, within pushTimeout (then 503: the
// agent retries with backoff and jitter).
const maxPushes = 2

// PushResult is the answer to a push.
type PushResult struct {
	// Commits is how many the push carried, Applied how many of them
	// were new (the others were stored before: a retry or a replay).
	Commits int `json:"commits"`
	Applied int `json:"applied"`
}

// pushRoute is POST /api/v1/push. Agents authenticate with the push token
// alone (not the dashboard's credentials) and are not browsers: no origin
// rules. A push is read whole and checked before anything is stored; a bad
// one is 400 (the agent drops it, counted), a store failure 500 (the agent
// retries).
func (s *Server) pushRoute() http.HandlerFunc {
	take := s.api(s.apiPush)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			s.apiError(w, r, clientErrorf(errMethodNotAllowed, "POST a push"))
			return
		}
		token, ok := bearerToken(r)
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Push.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="headroom push"`)
			s.apiError(w, r, clientErrorf(errUnauthorized, "a push needs the server's push token (server.push.token_env) as a bearer token"))
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(pushTimeout))
		rc.SetWriteDeadline(time.Now().Add(pushTimeout + 5*time.Second))
		ctx, cancel := context.WithTimeout(r.Context(), pushTimeout)
		defer cancel()
		select {
		case s.pushes <- struct{}{}:
			defer func() { <-s.pushes }()
		case <-ctx.Done():
			s.apiError(w, r, fmt.Errorf("%w: no slot for a push in %v", errTimeout, pushTimeout))
			return
		}
		take(w, r.WithContext(ctx))
	}
}

func (s *Server) apiPush(r *http.Request) (any, error) {
	if r.ContentLength > push.MaxBody {
		return nil, clientErrorf(errTooLarge, "%d bytes: a push is at most %d (compressed)", r.ContentLength, push.MaxBody)
	}
	lr := &io.LimitedReader{R: r.Body, N: push.MaxBody + 1}
	p, err := push.Decode(lr, s.opts.Push.Known)
	if lr.N <= 0 {
		return nil, clientErrorf(errTooLarge, "a push is at most %d bytes (compressed)", push.MaxBody)
	}
	if err != nil {
		return nil, badRequest("%v", err)
	}
	commits := make([]store.PushedCommit, len(p.Commits))
	for i := range p.Commits {
		commits[i] = store.PushedCommit{Seq: p.Commits[i].Seq, Batch: p.Commits[i].Batch(p.Agent)}
	}
	state, err := json.Marshal(p.State)
	if err != nil {
		return nil, err
	}
	applied, err := s.opts.Push.Store.CommitPush(r.Context(), p.Agent, p.Instance, string(state), commits, s.now())
	if err != nil {
		return nil, err
	}
	return PushResult{Commits: len(commits), Applied: applied}, nil
}

// AgentsData is GET /api/v1/agents.
type AgentsData struct {
	At     time.Time      `json:"at"`
	Agents []report.Agent `json:"agents"`
}

func (s *Server) apiAgents(r *http.Request) (any, error) {
	p, err := s.params(r)
	if err != nil {
		return nil, err
	}
	agents, err := s.opts.Engine.Agents(r.Context(), p.at)
	if err != nil {
		return nil, err
	}
	return AgentsData{At: p.at, Agents: agents}, nil
}
