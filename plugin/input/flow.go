package input

import (
	"context"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// tp names a partition.
type tp struct {
	topic string
	part  int32
}

// ready is a batch decoded from one partition, on its way to the
// pipeline: held back behind the partition's checkpoint limit, then
// queued, then handed over by ReadBatch.
type ready struct {
	p    *partition
	msgs service.MessageBatch
	offs []int64
}

// partition is one partition being read.
type partition struct {
	tp

	// Guarded by flow.mu.
	offsets offsets // records read and not yet done
	held    []ready // batches decoded and held back (see flow)
	out     int     // records handed to the pipeline and not yet acked
	stopped bool    // a record stopped it (on_deserialize_error: fail)
	gone    bool    // revoked or lost: its records are no longer ours to commit
	commits commits // where its commits may go (exactlyonce.go)

	// Touched only by the goroutine that calls ReadBatch (the reader),
	// so the batching processors and decoding run outside any lock.
	meta    metaCache // decode.go
	pending *pending  // batching.go; nil until a batching policy needs it
}

// flow decides when decoded records go to the pipeline: it owns the
// partitions being read, the batches held back behind each partition's
// checkpoint limit, and the queue of batches released to the pipeline.
//
// A partition never has more than checkpoint_limit records in the
// pipeline unacknowledged: past it, batches are held and released as
// acks come back. Holding rather than pausing the partition in the client
// keeps the client fetching it as usual: a paused partition misses the
// fetch the client has in flight and waits out a long poll
// (fetch_max_wait) on the others before it is fetched again.
//
// One lock, mu, guards all of that state, and the per-partition fields
// marked as such; methods that expect it held end in Locked. It is never
// held while records are decoded or batching processors run.
type flow struct {
	limit   int  // checkpoint_limit
	grouped bool // partitions come from a group's assignments

	mu      sync.Mutex
	parts   map[tp]*partition
	queue   []ready      // released batches, next to hand to the pipeline
	retired []*partition // gone partitions whose batchers the reader has yet to close
	// A poll in progress is cancelled, and wake signalled, when an ack
	// releases held batches.
	cancelPoll context.CancelFunc
	wake       chan struct{}

	// handed counts the batches handed to the pipeline and not yet
	// acked, gone partitions' included; changed is broadcast when it
	// falls.
	handed  int
	changed *sync.Cond
	rewind  *rewind // a rewind the reader is to carry out (exactlyonce.go)
	serial  bool    // one batch of a partition at a time (exactlyonce.go)
}

func newFlow(limit int, grouped bool) *flow {
	f := &flow{limit: limit, grouped: grouped, parts: map[tp]*partition{}, wake: make(chan struct{}, 1)}
	f.changed = sync.NewCond(&f.mu)
	return f
}

// assign starts partitions a group gave this member.
func (f *flow) assign(assigned map[string][]int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, ps := range assigned {
		for _, p := range ps {
			key := tp{t, p}
			f.parts[key] = &partition{tp: key}
		}
	}
}

// forget drops partitions revoked or lost: batches of theirs not yet
// handed over are dropped, acks of theirs still to come are ignored, and
// the next owner reads their unfinished records again.
func (f *flow) forget(gone map[string][]int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, ps := range gone {
		for _, part := range ps {
			key := tp{t, part}
			if f.rewind != nil {
				delete(f.rewind.parts, key) // not to be read again here
			}
			if p := f.parts[key]; p != nil {
				p.gone, p.held = true, nil
				f.retired = append(f.retired, p)
				delete(f.parts, key)
			}
		}
	}
	kept := f.queue[:0]
	for _, r := range f.queue {
		if !r.p.gone {
			kept = append(kept, r)
		}
	}
	f.queue = kept
}

// assigned is how many partitions are being read.
func (f *flow) assigned() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.parts)
}

// takeRetired returns the partitions forgotten since the last call.
func (f *flow) takeRetired() []*partition {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.retired
	f.retired = nil
	return r
}

// partition returns the partition to ingest records of, or nil when they
// are not to be read: not assigned (revoked while the fetch was in
// flight), stopped, or forgotten for a rewind (then the rewind seeks back
// to first at the latest, since the client has moved past them). Without
// a group, partitions start on first sight.
func (f *flow) partition(topic string, part int32, first int64) *partition {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := tp{topic, part}
	p := f.parts[key]
	if p == nil && f.rewind != nil {
		f.rewind.dropped(key, first)
		return nil
	}
	if p == nil && !f.grouped {
		p = &partition{tp: key}
		f.parts[key] = p
	}
	if p == nil || p.stopped {
		return nil
	}
	return p
}

// read tracks records read from p. Records must be tracked before any
// of them can be acked.
func (f *flow) read(p *partition, recs []*kgo.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(recs) == 0 {
		return
	}
	if p.gone && f.rewind != nil {
		// A rewind began since the reader took p: the client has moved
		// past these records, and the rewind must seek back to them.
		f.rewind.dropped(p.tp, recs[0].Offset)
	}
	p.offsets.read(recs)
	p.commits.read(recs[0])
}

// stop marks p stopped: nothing more of it is read.
func (f *flow) stop(p *partition) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p.stopped = true
}

// hold queues decoded batches of p behind its checkpoint limit and
// releases what fits.
func (f *flow) hold(p *partition, batches ...ready) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.gone {
		return
	}
	p.held = append(p.held, batches...)
	f.releaseLocked(p)
}

// releaseLocked moves p's held batches to the queue, in order, while p
// stays within the limit of records in the pipeline (a batch larger than
// the limit goes alone; with serial, every batch goes alone). It returns
// whether it released any.
func (f *flow) releaseLocked(p *partition) bool {
	released := false
	for !p.commits.quiesced && len(p.held) > 0 && (p.out == 0 || !f.serial && p.out+len(p.held[0].offs) <= f.limit) {
		r := p.held[0]
		p.held = p.held[1:]
		p.out += len(r.offs)
		f.queue = append(f.queue, r)
		released = true
	}
	if len(p.held) == 0 {
		p.held = nil
	}
	return released
}

// next pops the next batch for the pipeline. Nothing is handed over while
// a rewind is under way.
func (f *flow) next() (ready, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) == 0 || f.rewind != nil {
		return ready{}, false
	}
	r := f.queue[0]
	f.queue = f.queue[1:]
	f.handed++
	return r, true
}

// ack marks a batch's records done once the pipeline acknowledged (or
// gave up) them: the partition's commit point may move, and the room they
// leave under the limit releases held batches, waking the reader.
func (f *flow) ack(r ready, mark func(tp, kgo.EpochOffset)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handed--
	f.changed.Broadcast()
	if !f.doneLocked(r.p, r.offs, mark) {
		return
	}
	r.p.out -= len(r.offs)
	if f.releaseLocked(r.p) {
		if f.cancelPoll != nil {
			f.cancelPoll()
		}
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// deadLettered marks records of p done that never entered the pipeline.
func (f *flow) deadLettered(p *partition, offs []int64, mark func(tp, kgo.EpochOffset)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.doneLocked(p, offs, mark)
}

// skipped marks records of p done that are never messages (transaction
// markers): read, and at once as good as delivered.
func (f *flow) skipped(p *partition, offs []int64, mark func(tp, kgo.EpochOffset)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.doneLocked(p, offs, mark)
}

// doneLocked marks records of p done and, when the partition's commit
// point moves, calls mark with it. It runs under the lock so that a
// partition revoked meanwhile is never marked (mark must not call back
// into flow). It returns false for a partition that is gone: its offsets
// are not ours to commit, and nothing of it waits.
func (f *flow) doneLocked(p *partition, offs []int64, mark func(tp, kgo.EpochOffset)) bool {
	if p.gone {
		return false
	}
	if at, ok := p.offsets.done(offs); ok {
		p.commits.done(at)
		mark(p.tp, at)
	}
	return true
}

// pollBudget is how many records to decode next, or 0 to wait for acks
// first. Records held back across partitions stay under two
// checkpoint_limits per partition, so memory is bounded by that many
// decoded messages plus the client's buffered fetch (fetch_max_bytes).
// Polling only once half of that is free keeps polls, and so batches,
// large: a poll of a few records would cut batches of a few records.
func (f *flow) pollBudget() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	held := 0
	for _, p := range f.parts {
		for _, r := range p.held {
			held += len(r.offs)
		}
	}
	n := max(len(f.parts), 1)
	room := 2*f.limit*n - held
	if room < f.limit*n {
		return 0
	}
	return room
}

// startPoll registers the cancel func of a poll about to start, so an
// ack that releases batches cuts the poll short. It returns false, and
// registers nothing, when batches were released since the reader last
// looked: the reader should take them instead of polling.
func (f *flow) startPoll(cancel context.CancelFunc) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queue) > 0 || f.rewind != nil {
		return false
	}
	f.cancelPoll = cancel
	return true
}

// endPoll forgets the poll's cancel func.
func (f *flow) endPoll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelPoll = nil
}

// quiesce stops handing over batches of partitions about to be revoked,
// and drops those queued but not yet handed over.
func (f *flow) quiesce(parts map[string][]int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, ps := range parts {
		for _, part := range ps {
			if p := f.parts[tp{t, part}]; p != nil {
				p.commits.quiesced = true
			}
		}
	}
	kept := f.queue[:0]
	for _, r := range f.queue {
		if r.p.commits.quiesced {
			r.p.out -= len(r.offs)
			continue
		}
		kept = append(kept, r)
	}
	f.queue = kept
}

// awaitIdle waits until no batch of these partitions is in the pipeline.
func (f *flow) awaitIdle(ctx context.Context, parts map[string][]int32) error {
	return f.await(ctx, func() bool {
		for t, ps := range parts {
			for _, part := range ps {
				if p := f.parts[tp{t, part}]; p != nil && p.out > 0 {
					return false
				}
			}
		}
		return true
	})
}

// awaitHandedBack waits until every batch handed to the pipeline is back.
func (f *flow) awaitHandedBack(ctx context.Context) error {
	return f.await(ctx, func() bool { return f.handed == 0 })
}

// await waits, under the lock, until cond holds or ctx ends.
func (f *flow) await(ctx context.Context, cond func() bool) error {
	stop := context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.changed.Broadcast()
	})
	defer stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	for !cond() {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.changed.Wait()
	}
	return nil
}
