package output

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/eos"
	"github.com/ferry-connect/ferry/plugin/internal/accounting"
)

// run is the committer of an exactly-once transactor: every commit_period,
// and when asked (a rebalance, a doomed transaction, close), it ends the
// open transaction and begins the next. rewindFirst: the transaction a
// failed client had open is gone, so the source reads again first.
func (t *transactor) run(rewindFirst bool) {
	defer close(t.done)
	if rewindFirst && !t.rewind() {
		return
	}
	tick := time.NewTicker(t.conf.commitPeriod)
	defer tick.Stop()
	for {
		var req txnRequest
		select {
		case <-t.quit:
			return
		case <-tick.C:
		case req = <-t.requests:
		}
		err := t.end(req.abort)
		if req.done != nil {
			req.done <- err
		}
	}
}

// end ends the open transaction: it commits it with the source's offsets,
// or aborts it (when asked, when it is doomed, or when the commit fails)
// and has the source read again from its last commit. A transaction that
// has written nothing is left open: the offsets of batches the pipeline
// dropped wait for one that writes.
func (t *transactor) end(abort bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), t.conf.timeout)
	defer cancel()
	t.mu.Lock()
	if err := t.broken.Load(); err != nil {
		t.mu.Unlock()
		return *err
	}
	if doomed := t.doomed.Load(); abort || doomed != nil {
		why := errors.New("asked to abort")
		if doomed != nil {
			why = *doomed
		}
		return t.abortAndRewind(ctx, why)
	}
	delivered, dead := t.delivered.Load(), t.dead.Load()
	if delivered+dead == 0 {
		t.mu.Unlock()
		return nil
	}
	if err := t.awaitAcks(ctx); err != nil {
		return t.abortAndRewind(ctx, err)
	}
	offsets := t.src.Offsets()
	// A doom since the check above (a write failed, or partitions were
	// lost) drops writes: the acks of dropped batches move commit points
	// past records that are not in the transaction, and Offsets may
	// have seen them. Drops follow the doom, so looking again now tells.
	if doomed := t.doomed.Load(); doomed != nil {
		return t.abortAndRewind(ctx, *doomed)
	}
	var err error
	if len(offsets) > 0 {
		err = t.commitOffsets(ctx, offsets)
	}
	if err == nil {
		if err = t.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			err = fmt.Errorf("committing the transaction: %w", err)
		}
	}
	if err != nil {
		t.topicIDs = nil
		return t.abortAndRewind(ctx, err)
	}
	t.src.Committed(offsets)
	t.written = nil
	t.s.txns.Incr(1, "committed")
	t.s.ledger.Outcome(accounting.Delivered, int(delivered))
	t.s.ledger.Outcome(accounting.DeadLettered, int(dead))
	t.delivered.Store(0)
	t.dead.Store(0)
	if err := t.cl.BeginTransaction(); err != nil {
		t.mu.Unlock()
		return t.fail(err)
	}
	t.mu.Unlock()
	return nil
}

// abortAndRewind aborts the open transaction, then, with writes dropped
// meanwhile, has the source read again from its last commit, and begins
// the next transaction. It is called with t.mu held and releases it.
func (t *transactor) abortAndRewind(_ context.Context, why error) error {
	t.s.log.Warnf("%s: aborting the transaction: %v; the input reads again from its last commit", Name, why)
	t.draining.Store(true)
	// A context of its own: the caller's may have run out, which is
	// often why the transaction aborts.
	ctx, cancel := context.WithTimeout(context.Background(), t.conf.timeout)
	t.abort(ctx)
	cancel()
	t.s.ledger.Outcome(accounting.Nacked, int(t.delivered.Load()+t.dead.Load()))
	t.delivered.Store(0)
	t.dead.Store(0)
	t.doomed.Store(nil)
	t.written = nil
	t.mu.Unlock()
	if t.broken.Load() == nil {
		t.rewind() // else the transactor that replaces this one rewinds first
	}
	return why
}

// awaitAcks waits until the source's commit points have reached every
// input record whose output the open transaction holds (acks follow a
// write's return by a moment). It is called with t.mu held for writing, so
// no write adds to the transaction meanwhile. An input batch whose
// messages reach the output in several writes is acked only after the
// last: if that write is not in the transaction, the wait times out and
// the transaction aborts (hence no output batching with commit_source).
func (t *transactor) awaitAcks(ctx context.Context) error {
	deadline := time.Now().Add(ackWait)
	for wait := 50 * time.Microsecond; ; wait = min(2*wait, 5*time.Millisecond) {
		missing := t.notAcked()
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the input has not acked %s %v after its output was written: an input batch reaches the output in several writes (do not batch or split batches after kafka_source with %s.commit_source)", missing, ackWait, fieldTransaction)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// ackWait bounds awaitAcks.
const ackWait = 5 * time.Second

// notAcked names an input partition whose commit point has not reached
// what the transaction holds, or returns "".
func (t *transactor) notAcked() string {
	at := t.src.Positions()
	for k, next := range t.written {
		if at[k.topic][k.part] < next {
			return fmt.Sprintf("%s/%d up to offset %d", k.topic, k.part, next-1)
		}
	}
	return ""
}

// rewind has the source read again from its last commit, retrying until
// it succeeds or the transactor closes; before the source hands out new
// batches, a transaction begins and writes are let in. It reports false
// when the transactor closed first.
func (t *transactor) rewind() bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-t.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	resume := func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if err := t.cl.BeginTransaction(); err != nil {
			_ = t.fail(err) // writes are refused, not dropped, from now on
		}
		t.draining.Store(false)
	}
	for t.src.Rewind(ctx, resume) != nil {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return true
}

// commitOffsets commits the source's offsets in the open transaction, with
// the source's group membership, so a member that has lost its partitions
// since is refused (KIP-447).
func (t *transactor) commitOffsets(ctx context.Context, offsets eos.Offsets) error {
	m, err := t.src.Membership()
	if err != nil {
		return err
	}
	id, epoch, err := t.cl.ProducerID(ctx)
	if err != nil {
		return fmt.Errorf("producer ID: %w", err)
	}
	if !t.tv2 {
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = t.id, id, epoch, m.Group
		if err := retryConcurrent(ctx, func() error {
			resp, err := add.RequestWith(ctx, t.cl)
			if err != nil {
				return err
			}
			return kerr.ErrorForCode(resp.ErrorCode)
		}); err != nil {
			return fmt.Errorf("adding the offsets to the transaction: %w", err)
		}
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group = t.id, m.Group
	req.ProducerID, req.ProducerEpoch = id, epoch
	req.Generation, req.MemberID, req.InstanceID = m.Generation, m.MemberID, m.InstanceID
	for topic, parts := range offsets {
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = topic
		// Newer brokers take the topic by ID (TxnOffsetCommit v6+).
		if rt.TopicID, err = t.topicID(ctx, topic); err != nil {
			return err
		}
		for p, at := range parts {
			rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = p, at.Offset, at.Epoch
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	return retryConcurrent(ctx, func() error {
		resp, err := req.RequestWith(ctx, t.cl)
		if err != nil {
			return err
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					return fmt.Errorf("committing the offset of %s/%d in the transaction: %w", rt.Topic, rp.Partition, err)
				}
			}
		}
		return nil
	})
}

// topicID is a topic's ID, looked up once: an ID changes only when the
// topic is deleted and created again, and then the commit fails and the
// transaction aborts, so the lookup is dropped and done again.
func (t *transactor) topicID(ctx context.Context, topic string) ([16]byte, error) {
	if id, ok := t.topicIDs[topic]; ok {
		return id, nil
	}
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, t.cl)
	if err != nil {
		return [16]byte{}, fmt.Errorf("looking up topic %q: %w", topic, err)
	}
	for _, mt := range resp.Topics {
		if mt.Topic != nil && *mt.Topic == topic {
			if err := kerr.ErrorForCode(mt.ErrorCode); err != nil {
				return [16]byte{}, fmt.Errorf("looking up topic %q: %w", topic, err)
			}
			if t.topicIDs == nil {
				t.topicIDs = map[string][16]byte{}
			}
			t.topicIDs[topic] = mt.TopicID
			return mt.TopicID, nil
		}
	}
	return [16]byte{}, fmt.Errorf("looking up topic %q: not in the metadata", topic)
}

// retryConcurrent retries fn while the coordinator says another
// transaction operation is still completing (CONCURRENT_TRANSACTIONS), as
// kgo does for its own transactional requests.
func retryConcurrent(ctx context.Context, fn func() error) error {
	backoff := 10 * time.Millisecond
	for {
		err := fn()
		if !errors.Is(err, kerr.ConcurrentTransactions) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}
