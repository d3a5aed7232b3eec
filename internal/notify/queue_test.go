package notify

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestNoteRoundTrip: an alert read back from the queue is the alert that
// was queued, burn rates without traffic (NaN, ±Inf) included, so that a
// restart delivers what would have been delivered before it.
func TestNoteRoundTrip(t *testing.T) {
	odd := resolvedSample()
	odd.BurnRates = map[string]float64{"5m": math.NaN(), "1h": math.Inf(1), "6h": math.Inf(-1)}
	odd.BudgetRemaining = math.Inf(-1)
	odd.Labels, odd.TopRoutes, odd.TopStatuses = nil, nil, nil
	for name, a := range map[string]Alert{
		"firing":   sample(),
		"resolved": resolvedSample(),
		"odd":      odd,
		"minimal":  {Fingerprint: "nodata/web/access.log", Name: "SLONoData", Severity: "ticket", State: Firing},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := encodeNote(&a)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeNote(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip of %s (-want +got):\n%s", b, diff)
			}
			// Every target encodes the read-back alert as it would have
			// encoded the alert queued.
			for _, enc := range []func(*Alert) ([]byte, error){webhookBody, slackBody} {
				want, _ := enc(&a)
				gotBody, _ := enc(&got)
				if string(want) != string(gotBody) {
					t.Errorf("body differs after the round trip:\n%s\n%s", want, gotBody)
				}
			}
		})
	}
	if _, err := decodeNote([]byte(`{"fingerprint":`)); err == nil {
		t.Error("a truncated note decoded")
	}
}

// queueFor queues alerts for targets in q, as a process that stopped
// before delivering them would have left them.
func queueFor(t *testing.T, q Queue, targets []Target, alerts ...Alert) {
	t.Helper()
	prev := newDispatcher(t, targets, Options{Queue: q})
	b, err := prev.Route(alerts)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.QueueNotes(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// TestLoadedNotesBeforeRefresh: after a restart, the state changes left in
// the queue are delivered first, in order, then the refresh of the alerts
// firing now, then what is queued after it.
func TestLoadedNotesBeforeRefresh(t *testing.T) {
	rec := newRecorder(t)
	targets := []Target{{Name: "am", Type: TypeAlertmanager, URL: rec.srv.URL + "/am"}}
	q := &MemoryQueue{}
	gone := alert("gone", "page", "svc", Resolved)
	gone.EndsAt = now.Add(-1)
	queueFor(t, q, targets, alert("gone", "page", "svc", Firing), gone, alert("still", "page", "svc", Firing))

	log := newChanLog()
	opts := fastOptions(log)
	opts.Queue = q
	d := newDispatcher(t, targets, opts)
	if err := d.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats()[0]; st.Queued != 3 {
		t.Fatalf("loaded %+v, want 3 queued", st)
	}
	d.Refresh([]Alert{alert("still", "page", "svc", Firing)})
	d.Send(alert("new", "page", "svc", Firing))
	start(t, d)
	log.waitOK(t, 5)
	var got [][]string
	for _, r := range rec.requests() {
		got = append(got, amSLOs(t, r))
	}
	want := [][]string{{"gone/firing"}, {"gone/resolved"}, {"still/firing"}, {"still/firing"}, {"new/firing"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alertmanager requests (-want +got):\n%s", diff)
	}
	if st := d.Stats()[0]; st.Queued != 0 || st.Sent != 5 {
		t.Errorf("stats %+v", st)
	}
	if counts, _, _ := q.QueuedNotes(context.Background()); len(counts) != 0 {
		t.Errorf("left in the queue: %v", counts)
	}
}

// TestUndecodableNoteFails: a note that cannot be read is given up at
// once, recorded, and leaves the queue; the next is delivered.
func TestUndecodableNoteFails(t *testing.T) {
	rec := newRecorder(t)
	targets := []Target{{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL}}
	q := &MemoryQueue{}
	if err := q.QueueNotes(context.Background(), &Batch{Max: 10, Notes: []Note{{Target: "hook", Data: []byte("{")}}}); err != nil {
		t.Fatal(err)
	}
	queueFor(t, q, targets, alert("b", "page", "svc", Firing))
	log := newChanLog()
	opts := fastOptions(log)
	opts.Queue = q
	d := newDispatcher(t, targets, opts)
	start(t, d)
	got := log.wait(t, 2)
	if got[0].OK || got[0].Status != 0 || got[0].Error == "" || !got[1].OK || got[1].Fingerprint != "b" {
		t.Errorf("deliveries %+v, want a failure without a request, then b", got)
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if st := d.Stats()[0]; st.Failed != 1 || st.Sent != 1 || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
}
