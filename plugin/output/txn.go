package output

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/eos"
	"github.com/ferry-connect/ferry/plugin/internal/accounting"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/plugin/internal/kafkameta"
)

// transactor writes the sink's batches in Kafka transactions, on a
// transactional client of its own. Two modes:
//
//   - Atomic batches (no commit_source): each write is one transaction,
//     begun, written and ended before WriteBatch returns; writes take
//     turns.
//   - Exactly-once (commit_source): writes produce into the one open
//     transaction, concurrently, and return as soon as their records are
//     in it; the committer (txncommit.go) ends the transaction every
//     commit_period with the source's offsets in it, and begins the next.
//     A transaction that aborts makes the source read again from its last
//     commit (eos.Source.Rewind).
type transactor struct {
	s    *sink
	conf *txnConfig
	id   string
	cl   *kgo.Client
	dlqW *dlq.Writer // dead letters in the transaction; nil without a dlq block
	src  eos.Source  // nil: atomic batches
	tv2  bool        // KIP-890 transactions: offsets join them without AddOffsetsToTxn

	// Writes hold mu for reading while they produce into the open
	// transaction; ending one (and beginning the next) holds it for
	// writing.
	mu sync.RWMutex
	// What the open transaction holds, counted as its writes return.
	delivered, dead atomic.Int64
	doomed          atomic.Pointer[error] // why the open transaction must abort
	// draining: the open transaction is aborting and the source
	// rewinding. Batches that arrive meanwhile were read before the
	// abort; they are dropped (acked unwritten): the source reads their
	// records again.
	draining atomic.Bool
	broken   atomic.Pointer[error] // the client failed for good: reconnect

	topicIDs map[string][16]byte // the committer's only

	// written is, per input partition, one past the last input record
	// whose output is in the open transaction. The transaction may commit
	// only once the source's commit points have reached it: a batch is
	// acked a moment after its write returns.
	wmu     sync.Mutex
	written map[eosTP]int64

	requests chan txnRequest
	quit     chan struct{}
	done     chan struct{}
}

// txnRequest asks the committer to end the open transaction now.
type txnRequest struct {
	abort bool
	done  chan error // nil: nobody waits
}

// connectTxn builds the transactor: the transactional client and, with a
// commit_source, the link to that input and the committer. replacing says
// it replaces a transactor whose client failed: the transaction that one
// had open is aborted (by this client's producer ID, under the same
// transactional ID), so the source must first read again what it held.
func (s *sink) connectTxn(ctx context.Context, replacing bool) (*transactor, error) {
	t := &transactor{s: s, conf: s.conf.txn, id: s.conf.txn.id}
	group, instance := "", ""
	if name := t.conf.commitSource; name != "" {
		src, err := eos.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("field %s.commit_source: %w", fieldTransaction, err)
		}
		t.src = src
		group, instance = src.Group()
	}
	if t.id == "" {
		t.id = defaultTxnID(group, s.label, instance)
	}
	cl, err := kgo.NewClient(append(s.clientOpts(),
		kgo.TransactionalID(t.id),
		kgo.TransactionTimeout(t.conf.timeout),
	)...)
	if err != nil {
		return nil, fmt.Errorf("%s: creating the transactional client: %w", Name, err)
	}
	if err := s.conf.conn.Ping(ctx, cl); err != nil {
		cl.Close()
		return nil, err
	}
	t.cl = cl
	if t.tv2, err = supportsTV2(ctx, cl); err != nil {
		cl.Close()
		return nil, err
	}
	if s.conf.dlq != nil {
		t.dlqW = dlq.NewTxnWriter(s.ledger, cl)
	}
	if t.src == nil {
		return t, nil
	}
	if err := t.src.Attach(t); err != nil {
		cl.Close()
		return nil, fmt.Errorf("field %s.commit_source %q: %w", fieldTransaction, t.conf.commitSource, err)
	}
	t.requests = make(chan txnRequest, 1)
	t.quit, t.done = make(chan struct{}), make(chan struct{})
	if replacing {
		t.draining.Store(true) // run rewinds the source first
	} else if err := t.cl.BeginTransaction(); err != nil {
		t.src.Detach(t)
		cl.Close()
		return nil, fmt.Errorf("%s: beginning a transaction: %w", Name, err)
	}
	go t.run(replacing)
	s.log.Infof("%s: exactly-once with %s: transactional ID %q", Name, t.conf.commitSource, t.id)
	return t, nil
}

// defaultTxnID is stable across restarts of one instance and differs
// between instances: the group (or the output's label), then the static
// instance ID (or the host name).
func defaultTxnID(group, label, instance string) string {
	who := group
	if who == "" {
		who = label
	}
	if who == "" {
		who = Name
	}
	if instance == "" {
		instance, _ = os.Hostname() // "" on failure still gives a valid, if shared, ID
	}
	return "ferry-" + who + "-" + instance
}

// supportsTV2 reports whether the cluster runs transaction version 2
// (KIP-890 part 2), as kgo decides it: then a TxnOffsetCommit joins the
// transaction by itself and AddOffsetsToTxn must not be sent.
func supportsTV2(ctx context.Context, cl *kgo.Client) (bool, error) {
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return false, fmt.Errorf("%s: asking the brokers' versions: %w", Name, err)
	}
	for _, f := range resp.FinalizedFeatures {
		if f.Name == "transaction.version" && f.MaxVersionLevel >= 2 {
			return true, nil
		}
	}
	return false, nil
}

// write writes one batch in a transaction.
func (t *transactor) write(ctx context.Context, batch service.MessageBatch) error {
	if err := t.broken.Load(); err != nil {
		return service.ErrNotConnected
	}
	if t.src == nil {
		return t.writeAtomic(ctx, batch)
	}
	return t.writeInOpen(ctx, batch)
}

// writeAtomic writes batch in a transaction of its own.
func (t *transactor) writeAtomic(ctx context.Context, batch service.MessageBatch) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.cl.BeginTransaction(); err != nil {
		return t.fail(err)
	}
	delivered, dead, err := t.produceBatch(ctx, batch)
	if err == nil {
		if err = t.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			err = fmt.Errorf("committing the transaction: %w", err)
		}
	}
	if err != nil {
		t.abort(ctx)
		t.s.ledger.Outcome(accounting.Nacked, len(batch))
		return err
	}
	t.s.txns.Incr(1, "committed")
	t.s.ledger.Outcome(accounting.Delivered, delivered)
	t.s.ledger.Outcome(accounting.DeadLettered, dead)
	return nil
}

// writeInOpen writes batch into the open transaction: its outcome is
// counted when the transaction ends.
func (t *transactor) writeInOpen(ctx context.Context, batch service.MessageBatch) error {
	if t.draining.Load() {
		t.s.ledger.Outcome(accounting.Nacked, len(batch))
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.draining.Load() {
		t.s.ledger.Outcome(accounting.Nacked, len(batch))
		return nil
	}
	from, err := inputPositions(batch)
	if err != nil {
		t.s.ledger.Outcome(accounting.Nacked, len(batch))
		return err
	}
	delivered, dead, err := t.produceBatch(ctx, batch)
	if err != nil {
		t.doom(err)
		t.s.ledger.Outcome(accounting.Nacked, len(batch))
		return err
	}
	t.delivered.Add(int64(delivered))
	t.dead.Add(int64(dead))
	t.wmu.Lock()
	if t.written == nil {
		t.written = map[eosTP]int64{}
	}
	for k, next := range from {
		t.written[k] = max(t.written[k], next)
	}
	t.wmu.Unlock()
	return nil
}

// eosTP names an input partition.
type eosTP struct {
	topic string
	part  int32
}

// inputPositions reads, from the metadata kafka_source sets, where the
// batch's messages were read: per input partition, one past the last
// offset. Exactly-once needs it on every message, to know when the
// records whose output a transaction holds have been acked.
func inputPositions(batch service.MessageBatch) (map[eosTP]int64, error) {
	out := map[eosTP]int64{}
	for i, m := range batch {
		topic, tok := m.MetaGetMut(kafkameta.Topic)
		part, pok := m.MetaGetMut(kafkameta.Partition)
		off, ook := m.MetaGetMut(kafkameta.Offset)
		ts, _ := topic.(string)
		p, _ := part.(int)
		o, _ := off.(int)
		if !tok || !pok || !ook || ts == "" {
			return nil, fmt.Errorf("message %d of %d has no kafka_topic, kafka_partition and kafka_offset metadata: with %s.commit_source every message must keep the metadata kafka_source set on it (a processor removed it)", i, len(batch), fieldTransaction)
		}
		k := eosTP{ts, int32(p)}
		out[k] = max(out[k], int64(o)+1)
	}
	return out, nil
}

// produceBatch runs the write's stages on the transactional client. A
// batch is written whole or not at all: the first record that is neither
// produced nor dead-lettered fails it.
func (t *transactor) produceBatch(ctx context.Context, batch service.MessageBatch) (delivered, dead int, err error) {
	s := t.s
	recs := s.build(ctx, batch)
	pctx, cancel := context.WithTimeout(ctx, s.conf.producer.timeout)
	defer cancel()
	if !produce(pctx, t.cl, recs, s.conf.producer.timeout, s.answering(t.cl)) {
		return 0, 0, t.fail(errors.New("no answer from the cluster with records in flight"))
	}
	if t.dlqW != nil {
		s.deadLetter(pctx, t.dlqW, batch, recs)
	}
	var first error
	dead = s.failures(recs, func(i int, r *record) {
		if first == nil {
			first = r.describe(i, len(batch), "; the whole batch fails (transaction)")
		}
	})
	return len(batch) - dead, dead, first
}

// doom marks the open transaction for abort and has the committer abort
// it now; writes are dropped until the source has rewound.
func (t *transactor) doom(err error) {
	t.doomed.CompareAndSwap(nil, &err)
	t.draining.Store(true)
	select {
	case t.requests <- txnRequest{abort: true}:
	default: // a request is pending already
	}
}

// abort ends the open transaction with an abort. A failed abort leaves
// the producer ID unusable: the client is rebuilt.
func (t *transactor) abort(ctx context.Context) {
	if err := t.cl.AbortBufferedRecords(ctx); err != nil {
		_ = t.fail(err)
		return
	}
	if err := t.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		_ = t.fail(fmt.Errorf("aborting the transaction: %w", err))
		return
	}
	t.s.txns.Incr(1, "aborted")
}

// fail marks the transactional client broken: writes report the output
// disconnected, and Connect builds a new transactor (whose producer ID
// fences this one's transaction).
func (t *transactor) fail(err error) error {
	t.broken.CompareAndSwap(nil, &err)
	t.s.log.Errorf("%s: transactional client %q failed: %v; reconnecting", Name, t.id, err)
	return service.ErrNotConnected
}

// errAborting is CommitNow's answer while the open transaction is being
// aborted: there is nothing to commit until the source has rewound.
var errAborting = errors.New("the transaction is being aborted and the input rewound")

// CommitNow implements eos.Committer.
func (t *transactor) CommitNow(ctx context.Context) error {
	if t.draining.Load() {
		return errAborting
	}
	req := txnRequest{done: make(chan error, 1)}
	select {
	case t.requests <- req:
	case <-t.done:
		return nil // closed: its last commit is done
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-t.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AbortNow implements eos.Committer.
func (t *transactor) AbortNow() {
	t.doom(errors.New("partitions were lost in a rebalance"))
}

// close commits what the open transaction holds (exactly-once) and closes
// the client.
func (t *transactor) close(ctx context.Context) {
	if t.src != nil && t.broken.Load() == nil {
		if err := t.CommitNow(ctx); err != nil {
			t.s.log.Warnf("%s: committing the last transaction: %v", Name, err)
		}
	}
	t.shutdown()
}

// shutdown stops the committer and closes the client, committing
// nothing: an open transaction is aborted by the brokers (or at once by
// the next client with the same transactional ID).
func (t *transactor) shutdown() {
	if t.src != nil {
		close(t.quit)
		<-t.done
		t.src.Detach(t)
	}
	t.cl.Close()
}
