package input

import (
	"cmp"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
)

// offsets tracks the records of one partition from the moment they are
// read until they are done (acknowledged downstream, dead-lettered, or
// given up by the pipeline), and says where a commit may go: one past the
// last record of the done prefix. A commit therefore never passes a record
// that is still in flight, however the pipeline reorders acks.
//
// Offsets need not be contiguous: compaction and transaction markers leave
// gaps, and a commit point after a gap is where a consumer resumes.
type offsets struct {
	entries []entry // every record read and not yet part of the done prefix, in offset order
}

type entry struct {
	off   int64
	epoch int32 // the leader epoch the record was read at, committed with its successor
	done  bool
}

// read adds records read from the partition, in offset order. The client
// can rewind a partition: when it detects truncation after a leader
// change (KIP-320), or its offset falls out of range. Records then come
// again while copies of them may still be in the pipeline; they are
// merged in offset order, copies of one offset side by side, so the done
// prefix still never passes a record no copy of which is done.
func (o *offsets) read(recs []*kgo.Record) {
	if len(recs) == 0 {
		return
	}
	rewound := len(o.entries) > 0 && recs[0].Offset <= o.entries[len(o.entries)-1].off
	o.entries = slices.Grow(o.entries, len(recs))
	for _, r := range recs {
		o.entries = append(o.entries, entry{off: r.Offset, epoch: r.LeaderEpoch})
	}
	if rewound {
		slices.SortStableFunc(o.entries, func(a, b entry) int { return cmp.Compare(a.off, b.off) })
	}
}

// done marks records done and returns the new commit point (the next
// offset to read, with the epoch of the record before it), or ok false
// when the done prefix did not grow. Offsets not being tracked (never
// read, or already committable) are ignored.
func (o *offsets) done(offs []int64) (at kgo.EpochOffset, ok bool) {
	for _, off := range offs {
		i := sort.Search(len(o.entries), func(i int) bool { return o.entries[i].off >= off })
		for i < len(o.entries) && o.entries[i].off == off && o.entries[i].done {
			i++ // a copy read again after a rewind
		}
		if i < len(o.entries) && o.entries[i].off == off {
			o.entries[i].done = true
		}
	}
	n := 0
	for n < len(o.entries) && o.entries[n].done {
		n++
	}
	if n == 0 {
		return kgo.EpochOffset{}, false
	}
	last := o.entries[n-1]
	o.entries = append(o.entries[:0], o.entries[n:]...)
	return kgo.EpochOffset{Epoch: last.epoch, Offset: last.off + 1}, true
}

// pending is how many records read are not yet part of the done prefix.
func (o *offsets) pending() int { return len(o.entries) }
