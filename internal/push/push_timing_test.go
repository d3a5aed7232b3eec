package push_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/pushload"
)

// fleetPush is a push of a simulated agent of a fleet (pushload): 300
// dimensions, a commit per poll over one 10 s interval.
func fleetPush(b *testing.B, poll time.Duration) *push.Push {
	f, err := pushload.NewFleet(pushload.Options{Service: "shop", Agents: 1, PollEvery: poll, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return f.Push(0, time.Date(2026, 11, 20, 10, 0, 30, 0, time.UTC))
}

// BenchmarkDecode decodes and checks an agent's push as a server does.
func BenchmarkDecode(b *testing.B) {
	for _, poll := range []time.Duration{10 * time.Second, time.Second} {
		b.Run("poll="+poll.String(), func(b *testing.B) {
			body, err := push.Encode(fleetPush(b, poll))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := push.Decode(bytes.NewReader(body), func(string) bool { return true }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBatch turns a decoded push's commits into store batches.
func BenchmarkBatch(b *testing.B) {
	p := fleetPush(b, 10*time.Second)
	for b.Loop() {
		for i := range p.Commits {
			p.Commits[i].Batch("node-000")
		}
	}
}
