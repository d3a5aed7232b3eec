package push_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-slo/headroom/internal/push"
	"github.com/headroom-slo/headroom/internal/pushload"
)

func known(s string) bool { return s == "shop" }

// TestEncodeDecode: an agent's push, encoded and decoded, is the push.
func TestEncodeDecode(t *testing.T) {
	f, err := pushload.NewFleet(pushload.Options{Service: "shop", Agents: 1, Dims: 50, PollEvery: 2 * time.Second, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := f.Push(0, time.Date(2026, 11, 20, 10, 0, 30, 0, time.UTC))
	p.State.Broken = []string{`/var/log/"x".log: gone`}
	p.Commits[0].Services[0].Minutes[0].Entries[0].Route = "/検索/\"q\"\\x"
	body, err := push.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := push.Decode(bytes.NewReader(body), known)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("decoded push (-sent +got):\n%s", diff)
	}
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestDecodeRefuses: a push whose entries are not what an agent sends is
// refused as bad, with the reason.
func TestDecodeRefuses(t *testing.T) {
	body := func(entry string) string {
		return `{"agent":"node-a","instance":"i1","sent":"2026-11-20T10:00:00Z","state":{},"commits":[{"seq":1,"services":[{"name":"shop","minutes":[{"start":1795168800,"entries":[` + entry + `]}]}]}]}`
	}
	for _, tc := range []struct {
		name, entry, want string
	}{
		{"unsorted", `{"host":"a","route":"/","method":"GET","status":200,"count":2,"hist":[[9,1],[5,1]]}`, "increasing bounds"},
		{"repeated bound", `{"host":"a","route":"/","method":"GET","status":200,"count":2,"hist":[[5,1],[5,1]]}`, "increasing bounds"},
		{"short pair", `{"host":"a","route":"/","method":"GET","status":200,"count":1,"hist":[[5]]}`, "hist"},
		{"long pair", `{"host":"a","route":"/","method":"GET","status":200,"count":1,"hist":[[5,1,7]]}`, "too many array elements"},
		{"fraction", `{"host":"a","route":"/","method":"GET","status":200,"count":1,"hist":[[5.5,1]]}`, "number 5.5 into Go uint64 within \"/commits/0/services/0/minutes/0/entries/0/hist/0/0\""},
		{"negative", `{"host":"a","route":"/","method":"GET","status":200,"count":1,"hist":[[-5,1]]}`, "number -5 into Go uint64"},
		{"overflow", `{"host":"a","route":"/","method":"GET","status":200,"count":1,"hist":[[5,18446744073709551616]]}`, "out of range"},
		{"unknown key", `{"host":"a","route":"/","method":"GET","status":200,"count":0,"hist":[],"extra":1}`, `unknown object member name "extra" within "/commits/0/services/0/minutes/0/entries/0"`},
		{"status text", `{"host":"a","route":"/","method":"GET","status":"200","count":0,"hist":[]}`, "not a push"},
		{"sum", `{"host":"a","route":"/","method":"GET","status":200,"count":3,"hist":[[5,1]]}`, "add up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := push.Decode(bytes.NewReader(gz(t, body(tc.entry))), known)
			if !errors.Is(err, push.ErrBad) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode = %v, want ErrBad mentioning %q", err, tc.want)
			}
		})
	}
	p, err := push.Decode(bytes.NewReader(gz(t, body(` { "host" : "a\u0041" , "route":"/","method":null,"status":-0,"count":2,"hist":[ [ 5 , 2 ] ] } `))), known)
	if err != nil {
		t.Fatalf("white space, an escape, a null: %v", err)
	}
	want := push.Entry{Host: "aA", Route: "/", Count: 2, Hist: push.Hist{{5, 2}}}
	if diff := cmp.Diff(want, p.Commits[0].Services[0].Minutes[0].Entries[0]); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
}
