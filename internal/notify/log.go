package notify

import (
	"sync"
	"time"
)

// StateRefresh is a Delivery's State for an Alertmanager refresh (the set
// of firing alerts, re-sent); its Fingerprint is empty.
const StateRefresh = "refresh"

// Delivery is one attempt to deliver an alert to a target.
type Delivery struct {
	Target      string    `json:"target"`
	Type        string    `json:"type"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	State       string    `json:"state"` // Firing, Resolved or StateRefresh
	At          time.Time `json:"at"`
	Attempt     int       `json:"attempt"` // 1 for the first attempt of this delivery
	OK          bool      `json:"ok"`
	Status      int       `json:"status,omitempty"` // HTTP status; 0: no response
	Error       string    `json:"error,omitempty"`  // why it failed
}

// DeliveryLog records delivery attempts. Record is called from the
// targets' workers, concurrently, and must not block for long.
type DeliveryLog interface {
	Record(Delivery)
}

// MemoryLog keeps the last deliveries in memory. It is safe for concurrent
// use; the zero value keeps 1000.
type MemoryLog struct {
	mu   sync.Mutex
	max  int
	buf  []Delivery
	next int // where the next one goes, once buf is full
}

var _ DeliveryLog = (*MemoryLog)(nil)

// NewMemoryLog returns a MemoryLog keeping the last n deliveries (n ≤ 0:
// 1000).
func NewMemoryLog(n int) *MemoryLog { return &MemoryLog{max: n} }

// Record implements DeliveryLog.
func (l *MemoryLog) Record(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max <= 0 {
		l.max = 1000
	}
	if len(l.buf) < l.max {
		l.buf = append(l.buf, d)
		return
	}
	l.buf[l.next] = d
	l.next = (l.next + 1) % l.max
}

// Deliveries returns the deliveries kept, oldest first.
func (l *MemoryLog) Deliveries() []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Delivery, 0, len(l.buf))
	out = append(out, l.buf[l.next:]...)
	return append(out, l.buf[:l.next]...)
}
