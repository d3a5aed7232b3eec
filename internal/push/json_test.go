package push

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The push types as encoding/json reads them by reflection: the oracle of
// the parser.
type (
	plainPush struct {
		Agent    string        `json:"agent"`
		Instance string        `json:"instance"`
		Sent     time.Time     `json:"sent"`
		State    State         `json:"state"`
		Commits  []plainCommit `json:"commits"`
	}
	plainCommit struct {
		Seq      int64          `json:"seq"`
		Services []plainService `json:"services"`
	}
	plainService struct {
		Name    string        `json:"name"`
		Minutes []plainMinute `json:"minutes"`
	}
	plainMinute struct {
		Start   int64        `json:"start"`
		Entries []plainEntry `json:"entries"`
	}
	plainEntry struct {
		Host   string      `json:"host"`
		Route  string      `json:"route"`
		Method string      `json:"method"`
		Status int         `json:"status"`
		Count  uint64      `json:"count"`
		Hist   [][2]uint64 `json:"hist"`
	}
)

// plain is a push as its plain types.
func plain(p *Push) plainPush {
	out := plainPush{Agent: p.Agent, Instance: p.Instance, Sent: p.Sent, State: p.State}
	for _, c := range p.Commits {
		pc := plainCommit{Seq: c.Seq}
		for _, s := range c.Services {
			ps := plainService{Name: s.Name}
			for _, m := range s.Minutes {
				pm := plainMinute{Start: m.Start}
				for _, e := range m.Entries {
					pm.Entries = append(pm.Entries, plainEntry{e.Host, e.Route, e.Method, e.Status, e.Count, e.Hist})
				}
				ps.Minutes = append(ps.Minutes, pm)
			}
			pc.Services = append(pc.Services, ps)
		}
		out.Commits = append(out.Commits, pc)
	}
	return out
}

// FuzzParse: what the parser takes is valid JSON that encoding/json reads
// (unknown fields refused) into the same push; it may refuse more (keys in
// another case, pairs that are not two numbers, data after the push), and
// never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"agent":"node-a","instance":"i1","sent":"2026-11-20T10:00:00.5Z","state":{"lines":7,"broken":["x: gone",null]},"commits":[{"seq":1,"services":[{"name":"shop","minutes":[{"start":1795168800,"entries":[{"host":"a","route":"/x/:id","method":"GET","status":200,"count":3,"hist":[[5,2],[4294967295,1]]}]}]}]}]}`))
	f.Add([]byte(`{"agent":null,"commits":null,"state":null}`))
	f.Add([]byte(` {"commits":[null,{"services":[{"minutes":[{"entries":[null,{"hist":null,"status":-7}]}]}]}]} `))
	f.Add([]byte(`{"Agent":"a"}`))
	f.Add([]byte(`{"commits":[{"services":[{"minutes":[{"entries":[{"hist":[[1,2,3]]}]}]}]}]}`))
	f.Add([]byte(`{"agent":"\u00e9\"","sent":"bad"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Push
		if err := parsePush(b, &got); err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("took invalid JSON %q", b)
		}
		var want plainPush
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("took %q, which encoding/json refuses: %v", b, err)
		}
		if diff := cmp.Diff(want, plain(&got), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%q (-encoding/json +parser):\n%s", b, diff)
		}
	})
}

// FuzzEntryJSON: Entry.UnmarshalJSON, the same way.
func FuzzEntryJSON(f *testing.F) {
	f.Add([]byte(`{"host":"a","route":"/x/:id","method":"GET","status":200,"count":3,"hist":[[5,2],[4294967295,1]]}`))
	f.Add([]byte(`{"host":"\u00e9\"","route":null,"status":-7,"hist":null}`))
	f.Add([]byte(` {"count":18446744073709551615,"hist":[]} `))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entry
		if err := e.UnmarshalJSON(b); err != nil {
			return
		}
		var want plainEntry
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil || !json.Valid(b) {
			t.Fatalf("took %q, which encoding/json refuses: %v", b, err)
		}
		got := plainEntry{e.Host, e.Route, e.Method, e.Status, e.Count, e.Hist}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%q (-encoding/json +UnmarshalJSON):\n%s", b, diff)
		}
	})
}
