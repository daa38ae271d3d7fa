package input

import (
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
)

// partition is the in-flight state of one partition: every record read and
// not yet settled, in offset order. The committable offset is one past the
// last record of the settled prefix, so a commit never passes a record
// that is still in flight.
type partition struct {
	topic string
	part  int32

	entries []entry // in offset order
	stopped bool    // on_deserialize_error: fail hit this partition

	// held are batches decoded and not yet handed to the pipeline, kept
	// back while out records of the partition are in the pipeline and
	// checkpoint_limit would be passed. Holding rather than pausing the
	// partition in the client keeps the client fetching the partition's
	// successors as usual: a paused partition misses the fetch the client
	// has in flight and waits out a long poll (fetch_max_wait) on the
	// others before it is fetched again.
	held []ready
	out  int

	meta boxedMeta // touched only by the goroutine that decodes
}

// boxedMeta holds metadata values boxed once and shared by the messages of
// a partition (see source.decode).
type boxedMeta struct {
	topic, part any
	lastMs      int64
	ms, unix    any
}

// boxed returns r's shared metadata values, boxing anew only what changed.
func (p *partition) boxed(r *kgo.Record) *boxedMeta {
	m := &p.meta
	if m.topic == nil {
		m.topic, m.part = r.Topic, int(r.Partition)
	}
	if ms := r.Timestamp.UnixMilli(); m.ms == nil || ms != m.lastMs {
		m.lastMs, m.ms, m.unix = ms, ms, r.Timestamp.Unix()
	}
	return m
}

type entry struct {
	off   int64
	epoch int32
	done  bool
}

// track adds records read from the partition.
func (p *partition) track(recs []*kgo.Record) {
	p.entries = slices.Grow(p.entries, len(recs))
	for _, r := range recs {
		p.entries = append(p.entries, entry{off: r.Offset, epoch: r.LeaderEpoch})
	}
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

// heldRecords is the number of records decoded and held back.
func (p *partition) heldRecords() int {
	n := 0
	for _, r := range p.held {
		n += len(r.offs)
	}
	return n
}

// release moves held batches out, in order, while the partition stays
// within limit records in the pipeline (a batch larger than limit goes
// alone).
func (p *partition) release(limit int, out []ready) []ready {
	for len(p.held) > 0 && (p.out == 0 || p.out+len(p.held[0].offs) <= limit) {
		r := p.held[0]
		p.held = p.held[1:]
		p.out += len(r.offs)
		out = append(out, r)
	}
	if len(p.held) == 0 {
		p.held = nil
	}
	return out
}
