package input

import "sort"

// partition is the in-flight state of one partition: every record read and
// not yet settled, in offset order. The committable offset is one past the
// last record of the settled prefix, so a commit never passes a record
// that is still in flight.
type partition struct {
	topic string
	part  int32

	entries []entry // in offset order
	paused  bool
	stopped bool // on_deserialize_error: fail hit this partition
}

type entry struct {
	off   int64
	epoch int32
	done  bool
}

// track adds a record read from the partition.
func (p *partition) track(off int64, epoch int32) {
	p.entries = append(p.entries, entry{off: off, epoch: epoch})
}

// settle marks offs done and returns the new commit point (next offset and
// its leader epoch), or ok false when the settled prefix did not grow.
func (p *partition) settle(offs []int64) (next int64, epoch int32, ok bool) {
	for _, o := range offs {
		i := sort.Search(len(p.entries), func(i int) bool { return p.entries[i].off >= o })
		if i < len(p.entries) && p.entries[i].off == o {
			p.entries[i].done = true
		}
	}
	n := 0
	for n < len(p.entries) && p.entries[n].done {
		n++
	}
	if n == 0 {
		return 0, 0, false
	}
	last := p.entries[n-1]
	p.entries = append(p.entries[:0], p.entries[n:]...)
	return last.off + 1, last.epoch, true
}

// inflight is the number of records read and not settled.
func (p *partition) inflight() int { return len(p.entries) }
