// Package agent is `headroom agent`: it reads a host's logs like serve,
// with the same parser, tailer and exactly-once read positions, and pushes
// the minute cells to every configured server instead of serving them.
//
// Each commit writes its read positions and its cells, encoded for the
// servers, as the next row of the agent store's spool, in one transaction.
// A pusher per server sends the rows after its cursor, in order, and moves
// its cursor (kept in the store) once the server answered; a row leaves
// the spool when every server has it, or when the spool's bound drops it
// (counted). Servers store a push's commits with the agent's sequence
// numbers in one transaction, so a push retried after a crash, duplicated
// or replayed counts once.
package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/headroom-slo/headroom/internal/cells"
	"github.com/headroom-slo/headroom/internal/config"
	"github.com/headroom-slo/headroom/internal/ingest"
	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/store"
)

// NameEnv names the environment variable that gives the agent's name when
// agent.name is not set (a DaemonSet sets it from the node's name); the
// host name is the last default.
const NameEnv = "HEADROOM_AGENT_NAME"

// Name is the agent's name: agent.name, $HEADROOM_AGENT_NAME, or the host
// name.
func Name(cfg *config.Config) (string, error) {
	if cfg.Agent.Name != "" {
		return cfg.Agent.Name, nil
	}
	if n := os.Getenv(NameEnv); n != "" {
		return n, nil
	}
	n, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("agent.name is not set and the host name is unknown: %w", err)
	}
	return n, nil
}

// Instance returns the store's id, made at its first use: a server tells
// the commits of a new store (numbered afresh) from those of the old.
func Instance(ctx context.Context, st *store.Store) (string, error) {
	id, ok, err := st.Meta(ctx, "instance")
	if err != nil || ok {
		return id, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	id = hex.EncodeToString(b)
	return id, st.SetMeta(ctx, "instance", id)
}

// Spool is the committer an agent's tailer writes through: read positions
// and, with them, the commit's cells as a spool row. Its wake channel is
// signalled after each row.
type Spool struct {
	// The agent's store: read positions and file identities go to it as
	// for serve; Commit is the Spool's own.
	*store.Store
	maxBytes int64
	log      *slog.Logger

	mu   sync.Mutex
	dims map[string][]store.DimValue // by service: the agent store's dimension dictionary

	wakeMu sync.Mutex
	wakes  []chan struct{}
}

var _ ingest.StateStore = (*Spool)(nil)

// NewSpool writes through st, keeping at most maxBytes of rows.
func NewSpool(st *store.Store, maxBytes int64, log *slog.Logger) *Spool {
	return &Spool{Store: st, maxBytes: maxBytes, log: log, dims: map[string][]store.DimValue{}}
}

// Commit writes b's read positions and its cells as one spool row.
func (s *Spool) Commit(ctx context.Context, b *store.Batch) error {
	var data []byte
	if len(b.Cells) > 0 {
		dims := map[string][]store.DimValue{}
		for svc, byMin := range b.Cells {
			ds, err := s.dimsOf(ctx, svc, byMin)
			if err != nil {
				return err
			}
			dims[svc] = ds
		}
		c, err := push.NewCommit(0, b.Cells, dims)
		if err != nil {
			return err
		}
		if data, err = json.Marshal(c.Services); err != nil {
			return err
		}
	}
	seq, dropped, err := s.Store.CommitSpool(ctx, b.Sources, data, s.maxBytes)
	if err != nil {
		return err
	}
	if dropped > 0 {
		s.log.Warn("spool full (agent.spool.max_bytes): the oldest commits are dropped for the servers that lack them",
			"dropped", dropped, "max_bytes", s.maxBytes)
	}
	if seq > 0 {
		s.wake()
	}
	return nil
}

// dimsOf returns the dictionary of svc, reading it again when a cell has
// a dimension it does not have yet.
func (s *Spool) dimsOf(ctx context.Context, svc string, byMin map[int64]*cells.Cell) ([]store.DimValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ds := s.dims[svc]
	fresh := true
	for _, c := range byMin {
		for _, e := range c.Entries {
			if int(e.Dim) >= len(ds) {
				fresh = false
			}
		}
	}
	if fresh {
		return ds, nil
	}
	id, err := s.Store.ServiceID(ctx, svc, false)
	if err != nil {
		return nil, err
	}
	if ds, err = s.Store.Dims(ctx, id); err != nil {
		return nil, err
	}
	s.dims[svc] = ds
	return ds, nil
}

// subscribe returns a channel signalled (without blocking) after each row.
func (s *Spool) subscribe() <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.wakeMu.Lock()
	s.wakes = append(s.wakes, ch)
	s.wakeMu.Unlock()
	return ch
}

func (s *Spool) wake() {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	for _, ch := range s.wakes {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
