package ingest

import "testing"

func TestDimTable(t *testing.T) {
	tab := dimTable{gen: 1}
	const n = 5000 // grows several times
	for i := range n {
		k := newDimKey(uint32(i), uint32(i%7), 200+i%5, uint8(i%3))
		s := tab.find(k)
		if s.key != k || s.gen != 0 {
			t.Fatalf("key %d: new slot %+v", i, *s)
		}
		*s = dimSlot{key: k, minute: int32(i), idx: int32(i), gen: tab.gen}
	}
	for i := range n {
		k := newDimKey(uint32(i), uint32(i%7), 200+i%5, uint8(i%3))
		if s := tab.find(k); s.key != k || s.minute != int32(i) || s.idx != int32(i) || s.gen != tab.gen {
			t.Fatalf("key %d: slot %+v after growing", i, *s)
		}
	}
	if tab.n != n || tab.n*2 > len(tab.slots) {
		t.Errorf("%d keys in %d slots, counted %d", n, len(tab.slots), tab.n)
	}
	// After a reset the slots keep their keys but are stale.
	tab.reset()
	k := newDimKey(1, 1, 200, 1)
	if s := tab.find(k); s.key != k || s.gen == tab.gen {
		t.Errorf("after reset: slot %+v is current (gen %d)", *s, tab.gen)
	}
	// A table grown past dimTableMax starts afresh, in a new generation.
	for i := range dimTableMax {
		s := tab.find(newDimKey(uint32(n+i), 0, 200, 1))
		s.gen = tab.gen
	}
	gen := tab.gen
	tab.reset()
	if tab.n != 0 || len(tab.slots) != 0 || tab.gen != gen+1 {
		t.Errorf("big table after reset: %d slots, %d used, gen %d (was %d)", len(tab.slots), tab.n, tab.gen, gen)
	}
}
