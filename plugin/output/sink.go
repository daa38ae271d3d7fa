package output

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/accounting"
	"github.com/ferry-connect/ferry/internal/dlq"
)

func init() {
	err := service.RegisterBatchOutput(Name, Spec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (out service.BatchOutput, pol service.BatchPolicy, maxInFlight int, err error) {
			if maxInFlight, err = conf.FieldMaxInFlight(); err != nil {
				return
			}
			if pol, err = conf.FieldBatchPolicy(fieldBatching); err != nil {
				return
			}
			out, err = newSink(conf, mgr)
			return
		})
	if err != nil {
		panic(err)
	}
}

// sink is the kafka_sink output.
type sink struct {
	conf   *sinkConfig
	log    *service.Logger
	label  string
	ledger *accounting.Ledger

	mu     sync.RWMutex
	client *kgo.Client

	// iso is a second client used only to produce records one at a time
	// after a batch was refused as too large, so a record is never blamed
	// for the size of records it happened to share a batch with. It is
	// created on first need; isoMu keeps its use sequential.
	isoMu sync.Mutex
	iso   *kgo.Client

	dlqW *dlq.Writer // nil without a dlq block
}

func newSink(conf *service.ParsedConfig, mgr *service.Resources) (*sink, error) {
	c, err := parseConfig(conf)
	if err != nil {
		return nil, err
	}
	return &sink{
		conf:   c,
		log:    mgr.Logger(),
		label:  mgr.Label(),
		ledger: accounting.NewLedger(Name, mgr.Metrics()),
	}, nil
}

func (s *sink) clientOpts() []kgo.Opt {
	return append(s.conf.conn.Opts(), s.conf.producerOpts...)
}

// Connect creates the client if needed and checks that the cluster answers.
// It is also called after WriteBatch returned service.ErrNotConnected.
func (s *sink) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		cl, err := kgo.NewClient(s.clientOpts()...)
		if err != nil {
			return fmt.Errorf("%s: creating client: %w", Name, err)
		}
		s.client = cl
	}
	if err := s.conf.conn.Ping(ctx, s.client); err != nil {
		s.client.Close()
		s.client = nil
		return err
	}
	if s.conf.dlq != nil && s.dlqW == nil {
		w, err := dlq.NewWriter(append(s.conf.conn.Opts(), s.conf.dlq.opts...)...)
		if err != nil {
			return fmt.Errorf("%s: dlq: %w", Name, err)
		}
		s.dlqW = w
	}
	return nil
}

// WriteBatch produces every message of the batch, waits for every delivery,
// and returns only the records that failed (see the spec description).
func (s *sink) WriteBatch(ctx context.Context, batch service.MessageBatch) error {
	s.mu.RLock()
	cl := s.client
	s.mu.RUnlock()
	if cl == nil {
		return service.ErrNotConnected
	}

	n := len(batch)
	s.ledger.Attempt(n)
	recs := make([]*kgo.Record, n)
	partial := make([]*kgo.Record, n)
	prep := make([]*recordError, n)
	s.buildRecords(ctx, batch, recs, partial, prep)

	errs := make([]error, n)
	for i, e := range prep {
		if e != nil {
			errs[i] = e
		}
	}
	pctx, cancel := context.WithTimeout(ctx, s.conf.timeout)
	defer cancel()
	if produceAll(pctx, cl, recs, errs, s.conf.timeout) {
		s.isolateTooLarge(pctx, recs, errs)
	} else {
		// The cluster has not answered for twice the timeout and the
		// client held records whose fate it cannot know (sent, never
		// answered). produceAll closed the client to fail them: they are
		// nacked for the host to retry (a retry may duplicate a record
		// the broker did write: at-least-once), records already
		// delivered stay delivered, and Connect builds a fresh client.
		s.log.Warnf("%s: no answer from the cluster for %v with records in flight; reconnecting. Records whose delivery is unknown are retried and may be written twice", Name, 2*s.conf.timeout)
		s.forgetClient(cl)
	}
	var dead []bool
	if s.dlqW != nil {
		dead = s.deadLetter(pctx, batch, partial, errs)
	}
	return s.settle(ctx, cl, batch, partial, errs, dead)
}

// forgetClient drops cl, already closed, unless Connect replaced it.
func (s *sink) forgetClient(cl *kgo.Client) {
	s.mu.Lock()
	if s.client == cl {
		s.client = nil
	}
	s.mu.Unlock()
}

// produceAll produces every non-nil record and waits for all of them. Each
// promise writes only its own index of errs, so no lock is needed, and
// waiting for every promise orders those writes before the caller reads
// them.
//
// The context fails every record that can be failed safely once it ends.
// An idempotent producer never fails a record it sent without an answer
// (doing so could reorder or duplicate it), so such records can outlive the
// context; produceAll waits for them up to grace past the context's end.
// If they are still unresolved it closes the client, which fails them, and
// returns false.
func produceAll(ctx context.Context, cl *kgo.Client, recs []*kgo.Record, errs []error, grace time.Duration) bool {
	// The last promise to finish closes done. Counting down from the
	// number of records, set before the first is produced, spares a
	// goroutine per write: a write of one record is common (an unbatched
	// input) and a goroutine costs more than the record.
	var left atomic.Int64
	for _, r := range recs {
		if r != nil {
			left.Add(1)
		}
	}
	done := make(chan struct{})
	if left.Load() == 0 {
		return true
	}
	for i, r := range recs {
		if r == nil {
			continue
		}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			errs[i] = err
			if left.Add(-1) == 0 {
				close(done)
			}
		})
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		cl.Close()
		<-done
		return false
	}
}

// isolateTooLarge gives every record refused as MESSAGE_TOO_LARGE a second
// chance alone. A broker's message.max.bytes applies to the whole record
// batch the client sent, so one large record fails every record that shared
// its batch, possibly from another pipeline batch. Producing each affected
// record on its own, sequentially, on a client that sends nothing else,
// leaves the error only on the records that are too large by themselves.
func (s *sink) isolateTooLarge(ctx context.Context, recs []*kgo.Record, errs []error) {
	var idx []int
	for i, err := range errs {
		if recs[i] != nil && errors.Is(err, kerr.MessageTooLarge) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	s.isoMu.Lock()
	defer s.isoMu.Unlock()
	if s.iso == nil {
		iso, err := kgo.NewClient(append(s.clientOpts(), kgo.ProducerLinger(0))...)
		if err != nil {
			s.log.Errorf("%s: creating the client for one-by-one retries: %v", Name, err)
			return
		}
		s.iso = iso
	}
	for _, i := range idx {
		orig := recs[i]
		r := &kgo.Record{
			Topic:     orig.Topic,
			Key:       orig.Key,
			Value:     orig.Value,
			Headers:   orig.Headers,
			Timestamp: orig.Timestamp,
			Partition: orig.Partition,
		}
		errs[i] = s.iso.ProduceSync(ctx, r).FirstErr()
		if errs[i] == nil {
			recs[i] = r
		}
	}
}

// settle gives each record its outcome and builds the error the host sees.
// dead[i] (when dead is not nil) says record i is in the dead-letter queue.
func (s *sink) settle(ctx context.Context, cl *kgo.Client, batch service.MessageBatch, recs []*kgo.Record, errs []error, dead []bool) error {
	// recs are the records as far as they were built, so a record that
	// failed to serialize still names its topic.
	var (
		failed       int
		deadN        int
		connectivity = true
		first        error
	)
	for i, err := range errs {
		if err == nil {
			continue
		}
		c := classify(err)
		s.ledger.Error(c.stage, c.reason)
		if dead != nil && dead[i] {
			deadN++
			errs[i] = nil
			continue
		}
		failed++
		connectivity = connectivity && c.connectivity
		topic := ""
		if recs[i] != nil {
			topic = recs[i].Topic
		}
		errs[i] = fmt.Errorf("record %d of %d (topic %q): %s: %w", i, len(batch), topic, c.stage, err)
		if first == nil {
			first = errs[i]
		}
	}
	s.ledger.Outcome(accounting.Delivered, len(batch)-failed-deadN)
	s.ledger.Outcome(accounting.DeadLettered, deadN)
	s.ledger.Outcome(accounting.Nacked, failed)
	if failed == 0 {
		return nil
	}

	// Nothing got through and every failure says the cluster is out of
	// reach: confirm with a ping, then let the host reconnect before it
	// retries, rather than spinning through record timeouts.
	if failed == len(batch) && connectivity {
		if err := s.conf.conn.Ping(ctx, cl); err != nil {
			s.log.Warnf("%s: %d records not delivered, cluster unreachable: %v", Name, failed, err)
			return service.ErrNotConnected
		}
	}

	s.log.Debugf("%s: %d of %d records failed; returning only those to the pipeline", Name, failed, len(batch))
	be := service.NewBatchError(batch, fmt.Errorf("%d of %d records failed, first: %w", failed, len(batch), first))
	for i, err := range errs {
		if err != nil {
			be = be.Failed(i, err)
		}
	}
	return be
}

// Close flushes nothing (WriteBatch waits for every record) and closes the
// clients, then logs the summary line.
func (s *sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.client != nil {
		s.client.Close()
		s.client = nil
	}
	s.mu.Unlock()
	s.isoMu.Lock()
	if s.iso != nil {
		s.iso.Close()
		s.iso = nil
	}
	s.isoMu.Unlock()
	if s.dlqW != nil {
		s.dlqW.Close()
	}
	s.log.Infof("%s", s.ledger.Summary())
	return nil
}

func unixMilli(ms int64) time.Time { return time.UnixMilli(ms) }
