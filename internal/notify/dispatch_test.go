package notify

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func alert(fp, severity, service, state string) Alert {
	return Alert{Fingerprint: fp, Name: "SLOBurnRate", SLO: fp, Service: service, Severity: severity, State: state, StartsAt: now}
}

func TestNewDispatcherErrors(t *testing.T) {
	_, err := NewDispatcher([]Target{
		{Name: "ok", Type: TypeWebhook, URL: "http://127.0.0.1:1/hook"},
		{Name: "", Type: TypeWebhook, URL: "http://127.0.0.1:1/hook"},
		{Name: "ok", Type: TypeWebhook, URL: "https://example.com"},
		{Name: "pager", Type: "pagerduty", URL: "https://example.com"},
		{Name: "slack", Type: TypeSlack, URL: "hooks.slack.com/services/T0/B0/XSECRETX"},
		{Name: "slow", Type: TypeAlertmanager, URL: "ftp://am:9093", Timeout: -time.Second},
	}, Options{MinBackoff: time.Minute, MaxBackoff: time.Second})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"min backoff 1m0s is above max backoff 1s",
		"notify target #2: name is empty",
		"notify target ok: name is used twice",
		`notify target pager: type "pagerduty": want alertmanager, slack or webhook`,
		"notify target slack: url: want an absolute http(s) URL",
		"notify target slow: url: want an absolute http(s) URL",
		"notify target slow: timeout -1s is negative",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "XSECRETX") {
		t.Errorf("error shows a Slack URL:\n%s", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n != 7 {
		t.Errorf("%d lines, want 7:\n%s", n, msg)
	}
}

func TestRetryThenDeliverInOrder(t *testing.T) {
	rec := newRecorder(t, http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway)
	log := newChanLog()
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL}}, fastOptions(log))
	d.Send(alert("a", "page", "svc", Firing))
	d.Send(alert("b", "page", "svc", Firing))
	start(t, d)
	got := log.waitOK(t, 2)

	type attempt struct {
		Fingerprint string
		Attempt     int
		OK          bool
		Status      int
	}
	var gotAttempts []attempt
	for _, d := range got {
		gotAttempts = append(gotAttempts, attempt{d.Fingerprint, d.Attempt, d.OK, d.Status})
		if !d.At.Equal(now) || d.Target != "hook" || d.Type != TypeWebhook || d.State != Firing {
			t.Errorf("delivery %+v", d)
		}
		if !d.OK && !strings.Contains(d.Error, "POST "+rec.srv.URL) {
			t.Errorf("error %q lacks the request", d.Error)
		}
	}
	want := []attempt{{"a", 1, false, 503}, {"a", 2, false, 429}, {"a", 3, false, 502}, {"a", 4, true, 200}, {"b", 1, true, 200}}
	if diff := cmp.Diff(want, gotAttempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	// Head of line: b was not tried before a got through.
	var order []string
	for _, r := range rec.requests() {
		order = append(order, webhookFingerprint(t, r.Body))
	}
	if diff := cmp.Diff([]string{"a", "a", "a", "a", "b"}, order); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	want2 := []TargetStats{{Name: "hook", Type: TypeWebhook, Sent: 2, Retries: 3, LastSent: now}}
	if diff := cmp.Diff(want2, d.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestPermanentFailureNotRetried(t *testing.T) {
	rec := newRecorder(t, http.StatusBadRequest)
	log := newChanLog()
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL}}, fastOptions(log))
	d.Send(alert("a", "page", "svc", Firing))
	d.Send(alert("b", "page", "svc", Resolved))
	start(t, d)
	got := log.wait(t, 2)
	if got[0].Fingerprint != "a" || got[0].OK || got[0].Status != 400 || got[0].Attempt != 1 ||
		!strings.Contains(got[0].Error, "400 Bad Request: Bad Request") {
		t.Errorf("first delivery %+v", got[0])
	}
	if got[1].Fingerprint != "b" || !got[1].OK || got[1].State != Resolved {
		t.Errorf("second delivery %+v", got[1])
	}
	if n := len(rec.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	st := d.Stats()[0]
	if st.Failed != 1 || st.Sent != 1 || st.Retries != 0 || st.LastError != "" || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRouting(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	targets := []Target{
		{Name: "pages", Type: TypeWebhook, URL: rec.srv.URL + "/pages", Severities: []string{"page"}},
		{Name: "checkout", Type: TypeWebhook, URL: rec.srv.URL + "/checkout", Services: []string{"checkout"}},
		{Name: "both", Type: TypeWebhook, URL: rec.srv.URL + "/both", Severities: []string{"ticket"}, Services: []string{"checkout", "search"}},
		{Name: "all", Type: TypeWebhook, URL: rec.srv.URL + "/all"},
	}
	d := newDispatcher(t, targets, fastOptions(log))
	start(t, d)
	d.Send(alert("page-checkout", "page", "checkout", Firing))
	d.Send(alert("ticket-search", "ticket", "search", Firing))
	d.Send(alert("ticket-cart", "ticket", "cart", Firing))
	d.Send(alert("page-cart", "page", "cart", Firing))
	log.waitOK(t, 8)
	got := map[string][]string{}
	for _, r := range rec.requests() {
		got[r.Path] = append(got[r.Path], webhookFingerprint(t, r.Body))
	}
	want := map[string][]string{
		"/pages":    {"page-checkout", "page-cart"},
		"/checkout": {"page-checkout"},
		"/both":     {"ticket-search"},
		"/all":      {"page-checkout", "ticket-search", "ticket-cart", "page-cart"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests by target (-want +got):\n%s", diff)
	}
}

func TestQueueDropsOldest(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	opts := fastOptions(log)
	opts.QueueSize = 3
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL}}, opts)
	for _, fp := range []string{"1", "2", "3", "4", "5"} {
		d.Send(alert(fp, "page", "svc", Firing))
	}
	// The head (next to be delivered) and the newest 3 are kept.
	if st := d.Stats()[0]; st.Queued != 4 || st.Dropped != 1 {
		t.Fatalf("before Run: %+v, want 4 queued, 1 dropped", st)
	}
	start(t, d)
	log.waitOK(t, 4)
	var got []string
	for _, r := range rec.requests() {
		got = append(got, webhookFingerprint(t, r.Body))
	}
	if diff := cmp.Diff([]string{"1", "3", "4", "5"}, got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}

// blocker is a receiver that holds each request until released.
type blocker struct {
	arrived chan string
	release chan int      // the status to answer
	aborted chan struct{} // a request was given up by the client
}

func newBlocker(t *testing.T) (*blocker, string) {
	b := &blocker{arrived: make(chan string, 100), release: make(chan int), aborted: make(chan struct{}, 100)}
	srv := newRecorder(t)
	srv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r)
		b.arrived <- webhookFingerprint(t, body)
		select {
		case status := <-b.release:
			w.WriteHeader(status)
		case <-r.Context().Done():
			b.aborted <- struct{}{}
		}
	})
	return b, srv.srv.URL
}

func TestQueueKeepsInFlight(t *testing.T) {
	b, url := newBlocker(t)
	log := newChanLog()
	opts := fastOptions(log)
	opts.QueueSize = 2
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: url}}, opts)
	start(t, d)
	d.Send(alert("1", "page", "svc", Firing))
	if fp := <-b.arrived; fp != "1" {
		t.Fatalf("first request for %q", fp)
	}
	for _, fp := range []string{"2", "3", "4"} {
		d.Send(alert(fp, "page", "svc", Firing))
	}
	if st := d.Stats()[0]; st.Queued != 3 || st.Dropped != 1 {
		t.Fatalf("stats %+v, want 3 queued (one in flight), 1 dropped", st)
	}
	var got []string
	for i := range 3 {
		if i > 0 {
			got = append(got, <-b.arrived)
		} else {
			got = append(got, "1")
		}
		b.release <- http.StatusOK
	}
	log.waitOK(t, 3)
	if diff := cmp.Diff([]string{"1", "3", "4"}, got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}

// amRefresh returns the fingerprints in an Alertmanager request, by SLO.
func amSLOs(t *testing.T, r request) []string {
	var out []string
	for _, a := range decodeAM(t, r) {
		out = append(out, a.Labels["slo"]+"/"+map[bool]string{true: "resolved", false: "firing"}[a.EndsAt.Before(now)])
	}
	return out
}

func TestRefreshCoalesces(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	d := newDispatcher(t, []Target{
		{Name: "am", Type: TypeAlertmanager, URL: rec.srv.URL + "/am", Severities: []string{"page"}},
		{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL + "/hook"},
	}, fastOptions(log))
	a, b, c := alert("a", "page", "svc", Firing), alert("b", "page", "svc", Firing), alert("c", "ticket", "svc", Firing)
	d.Refresh([]Alert{a})
	d.Refresh([]Alert{a, b, c})
	resolved := alert("a", "page", "svc", Resolved)
	resolved.EndsAt = now.Add(-time.Second)
	d.Send(resolved)
	d.Refresh([]Alert{b, c}) // replaces the pending refresh; c is not for am
	if st := d.Stats(); st[0].Queued != 2 || st[1].Queued != 1 {
		t.Fatalf("queued: %+v, want 2 (am: a state change, a refresh) and 1 (hook: the state change)", st)
	}
	start(t, d)
	got := log.waitOK(t, 3)
	var amReqs [][]string
	for _, r := range rec.requests() {
		if r.Path == "/am/api/v2/alerts" {
			amReqs = append(amReqs, amSLOs(t, r))
		}
	}
	want := [][]string{{"a/resolved"}, {"b/firing"}}
	if diff := cmp.Diff(want, amReqs); diff != "" {
		t.Errorf("alertmanager requests (-want +got):\n%s", diff)
	}
	var states []string
	for _, d := range got {
		if d.Target == "am" {
			states = append(states, d.Fingerprint+"/"+d.State)
		}
	}
	if diff := cmp.Diff([]string{"a/resolved", "/refresh"}, states); diff != "" {
		t.Errorf("am deliveries (-want +got):\n%s", diff)
	}

	// A refresh set before a state change is delivered before it.
	d.Refresh([]Alert{b})
	resolved = alert("b", "page", "svc", Resolved)
	resolved.EndsAt = now.Add(-time.Second)
	d.Send(resolved)
	log.waitOK(t, 3) // am: refresh, state change; hook: state change
	reqs := rec.requests()
	amReqs = nil
	for _, r := range reqs[len(reqs)-3:] {
		if r.Path == "/am/api/v2/alerts" {
			amReqs = append(amReqs, amSLOs(t, r))
		}
	}
	if diff := cmp.Diff([][]string{{"b/firing"}, {"b/resolved"}}, amReqs); diff != "" {
		t.Errorf("alertmanager requests (-want +got):\n%s", diff)
	}

	// Nothing firing: nothing to refresh.
	d.Refresh(nil)
	d.Refresh([]Alert{c})
	if st := d.Stats(); st[0].Queued != 0 {
		t.Errorf("queued %+v, want none", st[0])
	}
}

func TestRefreshSupersededWhileRetrying(t *testing.T) {
	var once sync.Once
	var d *Dispatcher
	rec := newRecorder(t)
	var mu sync.Mutex
	var ok [][]string
	rec.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r)
		failed := false
		once.Do(func() {
			// While the first refresh fails, a newer one comes.
			d.Refresh([]Alert{alert("new", "page", "svc", Firing)})
			w.WriteHeader(http.StatusServiceUnavailable)
			failed = true
		})
		if !failed {
			mu.Lock()
			ok = append(ok, amSLOs(t, request{Path: r.URL.Path, Header: r.Header, Body: body}))
			mu.Unlock()
		}
	})
	log := newChanLog()
	d = newDispatcher(t, []Target{{Name: "am", Type: TypeAlertmanager, URL: rec.srv.URL + "/am"}}, fastOptions(log))
	d.Refresh([]Alert{alert("old", "page", "svc", Firing)})
	start(t, d)
	got := log.waitOK(t, 1)
	if len(got) != 2 || got[0].OK || got[1].Attempt != 1 {
		t.Errorf("deliveries %+v, want a failure and the newer refresh's first attempt", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([][]string{{"new/firing"}}, ok); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if st := d.Stats()[0]; st.Queued != 0 || st.Sent != 1 || st.Retries != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefreshIgnoredByOthers(t *testing.T) {
	d := newDispatcher(t, []Target{
		{Name: "slack", Type: TypeSlack, URL: "http://127.0.0.1:1/s"},
		{Name: "hook", Type: TypeWebhook, URL: "http://127.0.0.1:1/h"},
	}, Options{})
	d.Refresh([]Alert{alert("a", "page", "svc", Firing)})
	stats := d.Stats()
	if len(stats) != 2 {
		t.Fatalf("stats for %d targets, want 2", len(stats))
	}
	for _, st := range stats {
		if st.Queued != 0 {
			t.Errorf("%s queued %d", st.Name, st.Queued)
		}
	}
}

func TestUnreachableDoesNotBlock(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	dead := closedURL(t)
	d := newDispatcher(t, []Target{
		{Name: "dead", Type: TypeSlack, URL: dead + "/services/T0/B0/XSECRETX"},
		{Name: "live", Type: TypeWebhook, URL: rec.srv.URL},
	}, fastOptions(log))
	start(t, d)
	for _, fp := range []string{"a", "b", "c"} {
		d.Send(alert(fp, "page", "svc", Firing))
	}
	deadAttempts := 0
	for live := 0; live < 3 || deadAttempts < 3; {
		dl := log.wait(t, 1)[0]
		switch dl.Target {
		case "live":
			live++
			if !dl.OK {
				t.Errorf("live failed: %+v", dl)
			}
		case "dead":
			deadAttempts++
			if dl.OK || dl.Fingerprint != "a" || dl.Attempt != deadAttempts || dl.Status != 0 {
				t.Errorf("dead delivery %+v", dl)
			}
			if strings.Contains(dl.Error, "XSECRETX") || !strings.Contains(dl.Error, "/…") {
				t.Errorf("error shows the Slack URL: %q", dl.Error)
			}
		}
	}
	st := d.Stats()
	if st[0].Queued != 3 || st[0].Sent != 0 || st[0].Retries < 3 || st[0].LastError == "" || strings.Contains(st[0].LastError, "XSECRETX") {
		t.Errorf("dead stats %+v", st[0])
	}
	if st[1].Queued != 0 || st[1].Sent != 3 {
		t.Errorf("live stats %+v", st[1])
	}
}

func TestRunStopsAndResumes(t *testing.T) {
	b, url := newBlocker(t)
	log := newChanLog()
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: url}}, fastOptions(log))
	d.Send(alert("a", "page", "svc", Firing))
	d.Send(alert("b", "page", "svc", Firing))

	// Cancelled mid-request: nothing recorded, nothing lost.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	if fp := <-b.arrived; fp != "a" {
		t.Fatalf("first request for %q", fp)
	}
	cancel()
	<-done
	<-b.aborted // so that the next release is for the next request
	if st := d.Stats()[0]; st.Queued != 2 || st.Sent != 0 || st.Failed != 0 || st.Retries != 0 {
		t.Errorf("after cancel: %+v", st)
	}
	select {
	case dl := <-log.c:
		t.Errorf("an interrupted attempt was recorded: %+v", dl)
	default:
	}

	start(t, d)
	for _, want := range []string{"a", "b"} {
		if fp := <-b.arrived; fp != want {
			t.Fatalf("request for %q, want %q", fp, want)
		}
		b.release <- http.StatusOK
	}
	got := log.wait(t, 2)
	if got[0].Fingerprint != "a" || got[0].Attempt != 1 || !got[0].OK || got[1].Fingerprint != "b" {
		t.Errorf("deliveries %+v", got)
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, 10*time.Second
	for _, tc := range []struct {
		name       string
		n          int
		retryAfter time.Duration
		min, max   time.Duration
	}{
		{"first", 1, 0, lo / 2, lo},
		{"doubles", 3, 0, 2 * time.Second, 4 * time.Second},
		{"capped", 40, 0, hi / 2, hi},
		{"retry-after", 1, 5 * time.Second, 5 * time.Second, 5 * time.Second},
		{"retry-after capped", 1, time.Hour, hi, hi},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 100 {
				if got := backoff(lo, hi, tc.n, tc.retryAfter); got < tc.min || got > tc.max {
					t.Fatalf("backoff = %v, want in [%v, %v]", got, tc.min, tc.max)
				}
			}
		})
	}
}

func TestMemoryLog(t *testing.T) {
	l := NewMemoryLog(3)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() { l.Record(Delivery{Attempt: i}) })
	}
	wg.Wait()
	if n := len(l.Deliveries()); n != 3 {
		t.Fatalf("%d kept, want 3", n)
	}
	l = NewMemoryLog(3)
	for i := range 5 {
		l.Record(Delivery{Attempt: i})
	}
	want := []Delivery{{Attempt: 2}, {Attempt: 3}, {Attempt: 4}}
	if diff := cmp.Diff(want, l.Deliveries(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	var zero MemoryLog
	zero.Record(Delivery{Attempt: 1})
	if got := zero.Deliveries(); len(got) != 1 {
		t.Errorf("zero MemoryLog kept %v", got)
	}
}

func TestSendClones(t *testing.T) {
	rec := newRecorder(t)
	log := newChanLog()
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL}}, fastOptions(log))
	a := sample()
	d.Send(a)
	a.Labels["team"] = "changed"
	a.TopRoutes[0].Key = "changed"
	start(t, d)
	log.waitOK(t, 1)
	if body := string(rec.requests()[0].Body); strings.Contains(body, "changed") {
		t.Errorf("Send kept the caller's maps: %s", body)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	rec := newRecorder(t, http.StatusFound)
	log := newChanLog()
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: rec.srv.URL + "/hook"}}, fastOptions(log))
	start(t, d)
	d.Send(alert("a", "page", "svc", Firing))
	got := log.wait(t, 1)[0]
	if got.OK || got.Status != http.StatusFound {
		t.Errorf("delivery %+v, want a permanent failure with 302", got)
	}
	if st := d.Stats()[0]; st.Failed != 1 || st.Retries != 0 || len(rec.requests()) != 1 {
		t.Errorf("stats %+v, %d requests", st, len(rec.requests()))
	}
}

// TestRunWithoutTargetsLastsUntilStopped: a dispatcher with nothing to
// deliver to still runs until its context ends (serve stops when a part
// returns).
func TestRunWithoutTargetsLastsUntilStopped(t *testing.T) {
	d, err := NewDispatcher(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ret := make(chan error, 1)
	go func() { ret <- d.Run(ctx) }()
	select {
	case err := <-ret:
		t.Fatalf("Run returned before its context ended: %v", err)
	case <-time.After(50 * time.Millisecond): // a negative check
	}
	cancel()
	if err := <-ret; err != nil {
		t.Fatal(err)
	}
}

// slowQueue stores notes, then waits before QueueNotes returns: the moment
// between a state change being stored and its being counted.
type slowQueue struct {
	MemoryQueue
	stored chan struct{}
}

func (q *slowQueue) QueueNotes(ctx context.Context, b *Batch) error {
	err := q.MemoryQueue.QueueNotes(ctx, b)
	close(q.stored)
	time.Sleep(20 * time.Millisecond)
	return err
}

// A state change sent while Run is starting (Run reads the queue itself when
// Load was not called) is counted once: by Run's Load or by Send, not both.
func TestSendRacingRunCountsOnce(t *testing.T) {
	q := &slowQueue{stored: make(chan struct{})}
	opts := fastOptions(newChanLog())
	opts.Queue = q
	d := newDispatcher(t, []Target{{Name: "hook", Type: TypeWebhook, URL: "http://127.0.0.1:1/"}}, opts)
	sent := make(chan struct{})
	go func() { d.Send(alert("1", "page", "svc", Firing)); close(sent) }()
	<-q.stored
	start(t, d) // Run's Load reads the queue while Send has not counted yet
	<-sent
	if st := d.Stats()[0]; st.Queued != 1 {
		t.Fatalf("queued %d, want 1", st.Queued)
	}
}
