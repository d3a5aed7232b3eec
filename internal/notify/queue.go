package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
)

// Note is one state change queued for one target: what a target's worker
// delivers, in the order of IDs.
type Note struct {
	// ID is the queue's, set when the note is queued: IDs increase in the
	// order notes are queued and are never reused.
	ID     int64
	Target string // the target's name
	Data   []byte // the alert, encoded by the Dispatcher
}

// Batch is state changes routed to the targets they go to, to be queued:
// Dispatcher.Route makes one, a Queue stores it, Dispatcher.Queued hands
// it to the workers. A caller that keeps its own records in the store that
// is the Queue (the alert runner, its alert states) queues the batch in
// the same transaction, so that a state change is never stored without the
// notifications it causes, nor the other way round.
type Batch struct {
	// Notes are one per state change and target, in the order sent; the
	// queue sets their IDs.
	Notes []Note
	// Max bounds each target's queue: at most Max notes waiting besides
	// its head (the oldest, being delivered or next).
	Max int
	// Dropped is set by the queue: the notes the bound dropped, the
	// oldest waiting ones of their target.
	Dropped []Note
}

// Queue keeps each target's undelivered notes, in order: the Dispatcher
// reads and removes them as its workers deliver. store.Store keeps them in
// the data directory, so that a restart delivers what was pending;
// MemoryQueue keeps them in memory.
type Queue interface {
	// QueueNotes appends b.Notes, setting their IDs, and drops, for each
	// target, the oldest waiting notes beyond b.Max (never the head),
	// listing them in b.Dropped.
	QueueNotes(ctx context.Context, b *Batch) error
	// NextNote returns target's oldest note with an ID above after; ok
	// is false when there is none.
	NextNote(ctx context.Context, target string, after int64) (n Note, ok bool, err error)
	// RemoveNote deletes a note that was delivered or given up.
	RemoveNote(ctx context.Context, id int64) error
	// QueuedNotes returns how many notes each target has queued, and the
	// highest ID of them all (0: none).
	QueuedNotes(ctx context.Context) (counts map[string]int, last int64, err error)
}

// MemoryQueue is a Queue in memory: what it holds is lost with the
// process. It is safe for concurrent use; the zero value is empty.
type MemoryQueue struct {
	mu    sync.Mutex
	last  int64
	notes map[string][]Note // by target, oldest first
}

var _ Queue = (*MemoryQueue)(nil)

// QueueNotes implements Queue.
func (q *MemoryQueue) QueueNotes(_ context.Context, b *Batch) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.notes == nil {
		q.notes = map[string][]Note{}
	}
	var touched []string
	for i := range b.Notes {
		q.last++
		n := &b.Notes[i]
		n.ID = q.last
		q.notes[n.Target] = append(q.notes[n.Target], *n)
		if !slices.Contains(touched, n.Target) {
			touched = append(touched, n.Target)
		}
	}
	for _, target := range touched {
		ns := q.notes[target]
		if excess := len(ns) - 1 - b.Max; excess > 0 {
			b.Dropped = append(b.Dropped, ns[1:1+excess]...)
			q.notes[target] = slices.Delete(ns, 1, 1+excess)
		}
	}
	return nil
}

// NextNote implements Queue.
func (q *MemoryQueue) NextNote(_ context.Context, target string, after int64) (Note, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, n := range q.notes[target] {
		if n.ID > after {
			return n, true, nil
		}
	}
	return Note{}, false, nil
}

// RemoveNote implements Queue.
func (q *MemoryQueue) RemoveNote(_ context.Context, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for target, ns := range q.notes {
		if i := slices.IndexFunc(ns, func(n Note) bool { return n.ID == id }); i >= 0 {
			q.notes[target] = slices.Delete(ns, i, i+1)
			return nil
		}
	}
	return nil
}

// QueuedNotes implements Queue.
func (q *MemoryQueue) QueuedNotes(context.Context) (map[string]int, int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	counts := map[string]int{}
	var last int64
	for target, ns := range q.notes {
		if len(ns) > 0 {
			counts[target] = len(ns)
			last = max(last, ns[len(ns)-1].ID)
		}
	}
	return counts, last, nil
}

// number is a float64 whose JSON is a number, or "NaN", "+Inf" or "-Inf":
// a Note holds its alert as alertJSON[number], so that what is delivered
// after a restart is what would have been delivered before (a burn rate
// without traffic is NaN).
type number float64

func (f number) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.AppendQuote(nil, strconv.FormatFloat(v, 'g', -1, 64)), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *number) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil // as encoding/json leaves a number
	}
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", b, err)
	}
	*f = number(v)
	return nil
}

// encodeNote encodes a for a Note.
func encodeNote(a *Alert) ([]byte, error) {
	return json.Marshal(toJSON[number](a))
}

// decodeNote decodes what encodeNote encoded.
func decodeNote(b []byte) (Alert, error) {
	var j alertJSON[number]
	if err := json.Unmarshal(b, &j); err != nil {
		return Alert{}, fmt.Errorf("decode queued alert: %w", err)
	}
	return j.alert(), nil
}
