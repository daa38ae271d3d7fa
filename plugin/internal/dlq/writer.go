package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/accounting"
	"github.com/ferry-connect/ferry/plugin/internal/failure"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
)

// Writer produces dead letters on its own client, so a DLQ's settings
// (and failures) stay apart from the main path's. It counts every dead
// letter that does not make it in its component's ledger, as a DLQ-stage
// error with the failure's reason.
type Writer struct {
	ledger *accounting.Ledger
	opts   []kgo.Opt
	shared bool // cl belongs to the caller (NewTxnWriter)

	mu sync.Mutex
	cl *kgo.Client

	aloneMu sync.Mutex
	alone   *kgo.Client // created on first need, see writeAlone
}

// NewWriter creates a writer from client options.
func NewWriter(ledger *accounting.Ledger, opts ...kgo.Opt) (*Writer, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("dead-letter client: %w", err)
	}
	return &Writer{ledger: ledger, cl: cl, opts: opts}, nil
}

// NewTxnWriter writes dead letters on cl, a transactional client the
// caller owns, so that they belong to the caller's transaction. A letter
// too large for its topic is not retried alone or without its value
// there: nothing in a transaction is alone, and the caller aborts a
// transaction any record of which failed.
func NewTxnWriter(ledger *accounting.Ledger, cl *kgo.Client) *Writer {
	return &Writer{ledger: ledger, cl: cl, shared: true}
}

// Write writes every letter and waits for all of them; errs[i] is nil
// when letters[i] is in the dead-letter topic, else why it is not.
//
//   - A letter whose topic Kafka would refuse is not sent (reason
//     invalid_topic).
//   - A letter refused as too large is written again alone: a broker's
//     size limit applies to the whole batch the client sent, so it may
//     have been refused for its neighbours. If it is too large alone, it
//     is written without its value (key, headers and timestamp kept, and
//     HeaderValueDropped says how many bytes were dropped) rather than
//     fail for good.
//
// What is left failed is the letter's own fault (failure.Retriable is
// false: it will fail the same way again) or the cluster's (worth
// retrying).
func (w *Writer) Write(ctx context.Context, letters []*kgo.Record) []error {
	errs := make([]error, len(letters))
	cl := w.client()
	var wg sync.WaitGroup
	for i, r := range letters {
		if err := kafkaconn.ValidTopic(r.Topic); err != nil {
			errs[i] = &failure.Error{Stage: failure.StageDLQ, Reason: failure.InvalidTopic, Err: err}
			continue
		}
		if cl == nil {
			errs[i] = kgo.ErrClientClosed
			continue
		}
		wg.Add(1)
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			errs[i] = err
			wg.Done()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if errors.Is(err, kerr.MessageTooLarge) && !w.shared {
			errs[i] = w.writeLarge(ctx, letters[i])
		}
		if errs[i] != nil {
			w.ledger.Error(failure.StageDLQ, failure.Classify(errs[i]).Reason)
		}
	}
	return errs
}

// WriteRetrying is Write for a caller that cannot hand a failed letter
// back to anyone (kafka_source: its record must be dead-lettered before
// its offset may be committed). Letters whose failure is retriable are
// written again, with back-off, until ctx ends; onRetry hears of each
// round that failed. It returns, per letter, nil, a failure of the
// letter's own (it would fail the same way forever), or ctx's error.
func (w *Writer) WriteRetrying(ctx context.Context, letters []*kgo.Record, onRetry func(failed int, first error)) []error {
	out := make([]error, len(letters))
	idx := make([]int, len(letters))
	for i := range idx {
		idx[i] = i
	}
	backoff := 100 * time.Millisecond
	for {
		errs := w.Write(ctx, letters)
		var again []*kgo.Record
		var againIdx []int
		var first error
		for j, err := range errs {
			if err != nil && failure.Retriable(err) && ctx.Err() == nil {
				again, againIdx = append(again, letters[j]), append(againIdx, idx[j])
				if first == nil {
					first = err
				}
				continue
			}
			out[idx[j]] = err
		}
		if len(again) == 0 {
			return out
		}
		onRetry(len(again), first)
		select {
		case <-ctx.Done():
			for _, i := range againIdx {
				out[i] = ctx.Err()
			}
			return out
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
		letters, idx = again, againIdx
	}
}

// writeLarge retries a letter refused as too large on its own, then
// without its value.
func (w *Writer) writeLarge(ctx context.Context, r *kgo.Record) error {
	err := w.writeAlone(ctx, r)
	if !errors.Is(err, kerr.MessageTooLarge) {
		return err
	}
	r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderValueDropped, Value: []byte(strconv.Itoa(len(r.Value)))})
	r.Value = nil
	return w.writeAlone(ctx, r)
}

// writeAlone produces one record on a client that sends nothing else at
// the time, so a size error belongs to that record and not to a batch it
// shared.
func (w *Writer) writeAlone(ctx context.Context, r *kgo.Record) error {
	w.aloneMu.Lock()
	defer w.aloneMu.Unlock()
	if w.alone == nil {
		cl, err := kgo.NewClient(append(w.opts, kgo.ProducerLinger(0))...)
		if err != nil {
			return err
		}
		w.alone = cl
	}
	return w.alone.ProduceSync(ctx, r).FirstErr()
}

func (w *Writer) client() *kgo.Client {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cl
}

// Close closes the writer's clients.
func (w *Writer) Close() {
	w.mu.Lock()
	if w.cl != nil && !w.shared {
		w.cl.Close()
	}
	w.cl = nil
	w.mu.Unlock()
	w.aloneMu.Lock()
	defer w.aloneMu.Unlock()
	if w.alone != nil {
		w.alone.Close()
		w.alone = nil
	}
}
