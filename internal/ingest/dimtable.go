package ingest

// dimTable finds, for a worker, the entry of a dimension in the minute being
// aggregated: an open-addressing hash table from dimension to the minute and
// position it was last counted at. A hit in the same minute costs a multiply
// and a probe or two in a table that stays in the cache, where a map per
// minute cost a full map lookup a line. When lines of one minute come back
// after another minute, the dimension gets a second entry in that minute;
// flush merges them.
type dimTable struct {
	slots []dimSlot
	n     int    // occupied slots
	gen   uint32 // slots of older generations are free for their key; from 1
}

type dimSlot struct {
	key    dimKey
	minute int32
	idx    int32
	gen    uint32 // 0: empty
}

const (
	dimTableMin = 1 << 10
	// dimTableMax bounds the table across commits: beyond it, reset
	// starts afresh rather than keep every dimension ever seen.
	dimTableMax = 1 << 16
)

// find returns the slot of key, claiming an empty one for it if needed;
// the slot is current when its gen is t.gen and its minute the one wanted.
func (t *dimTable) find(key dimKey) *dimSlot {
	if t.n*2 >= len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := uint64(key) * 0x9e3779b97f4a7c15 >> 32 & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.gen == 0 {
			t.n++
			s.key = key
			s.idx = -1
			return s
		}
		if s.key == key {
			return s
		}
	}
}

func (t *dimTable) grow() {
	old := t.slots
	t.slots = make([]dimSlot, max(dimTableMin, 2*len(old)))
	t.n = 0
	for _, s := range old {
		if s.gen != 0 {
			*t.find(s.key) = s
		}
	}
}

// reset forgets the positions (the minutes were handed over).
func (t *dimTable) reset() {
	if len(t.slots) > dimTableMax {
		*t = dimTable{gen: t.gen}
	}
	t.gen++
}
