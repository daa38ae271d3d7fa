package input

import (
	"context"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// batcher cuts a partition's decoded records into the batches handed to
// the pipeline. It is used only by the reader goroutine: batching
// processors run there, outside flow's lock, so a slow processor holds up
// reading but never an ack.
//
// Without a batching policy each fetch of a partition is one batch, cut
// at checkpoint_limit records so a batch never holds more than the
// partition may have in flight. With one, the policy applies to each
// partition separately.
type batcher struct {
	policy service.BatchPolicy
	mgr    *service.Resources
	limit  int
	// maxBytes, without a policy, also cuts a batch once its messages
	// hold this many bytes (0: no cap; a larger message goes alone).
	maxBytes int
	log      *service.Logger
	with     map[*partition]struct{} // partitions that have a policy batcher
}

// pending collects a partition's records under a batching policy, with
// the offsets of the records that went in (processors may change the
// messages, not which records the batch acknowledges).
type pending struct {
	b    *service.Batcher
	offs []int64
}

func newBatcher(policy service.BatchPolicy, mgr *service.Resources, limit int) *batcher {
	return &batcher{policy: policy, mgr: mgr, limit: limit, log: mgr.Logger(), with: map[*partition]struct{}{}}
}

// cut turns records of p, decoded in offset order, into the batches that
// are complete.
func (b *batcher) cut(ctx context.Context, p *partition, msgs service.MessageBatch, offs []int64) ([]ready, error) {
	var out []ready
	switch {
	case b.policy.IsNoop() && b.policy.Count == 1:
		// Benthos counts `count: 1` as no policy; the user asked for
		// one message per batch.
		for i, m := range msgs {
			out = append(out, ready{p: p, msgs: service.MessageBatch{m}, offs: offs[i : i+1]})
		}
	case b.policy.IsNoop():
		for len(msgs) > 0 {
			n := b.fits(msgs)
			out = append(out, ready{p: p, msgs: msgs[:n:n], offs: offs[:n:n]})
			msgs, offs = msgs[n:], offs[n:]
		}
	default:
		if p.pending == nil {
			bt, err := b.policy.NewBatcher(b.mgr)
			if err != nil {
				return nil, err
			}
			p.pending = &pending{b: bt}
			b.with[p] = struct{}{}
		}
		for i, m := range msgs {
			p.pending.offs = append(p.pending.offs, offs[i])
			if p.pending.b.Add(m) {
				r, err := b.flush(ctx, p)
				if err != nil {
					return out, err
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// fits is how many of msgs go in the next batch without a policy: up to
// the checkpoint limit and, with maxBytes, until they hold that many
// bytes; at least one.
func (b *batcher) fits(msgs service.MessageBatch) int {
	n := min(b.limit, len(msgs))
	if b.maxBytes <= 0 {
		return n
	}
	size := 0
	for i, m := range msgs[:n] {
		raw, _ := m.AsBytes() // a fetched message always has its bytes
		if size += len(raw); size > b.maxBytes && i > 0 {
			return i
		}
	}
	return n
}

// flush runs p's batching processors over its pending batch.
func (b *batcher) flush(ctx context.Context, p *partition) (ready, error) {
	batch, err := p.pending.b.Flush(ctx)
	r := ready{p: p, msgs: batch, offs: p.pending.offs}
	p.pending.offs = nil
	return r, err
}

// due flushes the pending batches whose period has ended.
func (b *batcher) due(ctx context.Context) ([]ready, error) {
	var out []ready
	for p := range b.with {
		if len(p.pending.offs) == 0 {
			continue
		}
		// UntilNext reports an overdue period as 1ns, never as zero.
		if d, ok := p.pending.b.UntilNext(); ok && d <= time.Nanosecond {
			r, err := b.flush(ctx, p)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// untilNext is how long until the next pending batch's period ends, and
// false when no pending batch has a period.
func (b *batcher) untilNext() (time.Duration, bool) {
	var next time.Duration
	found := false
	for p := range b.with {
		if len(p.pending.offs) == 0 {
			continue
		}
		if d, ok := p.pending.b.UntilNext(); ok && (!found || d < next) {
			next, found = d, true
		}
	}
	if found && next < time.Millisecond {
		next = time.Millisecond
	}
	return next, found
}

// retire closes the batchers of partitions that are gone, dropping their
// pending records: the next owner reads them again.
func (b *batcher) retire(ctx context.Context, gone []*partition) {
	for _, p := range gone {
		if p.pending == nil {
			continue
		}
		if err := p.pending.b.Close(ctx); err != nil {
			b.log.Warnf("%s: closing the batching policy of %s/%d: %v", Name, p.topic, p.part, err)
		}
		p.pending = nil
		delete(b.with, p)
	}
}

// close closes every batcher, on shutdown.
func (b *batcher) close(ctx context.Context) {
	gone := make([]*partition, 0, len(b.with))
	for p := range b.with {
		gone = append(gone, p)
	}
	b.retire(ctx, gone)
}
