package output

import (
	"context"
	"fmt"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/accounting"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/serde"
)

func init() {
	if err := service.RegisterBatchOutput(Name, Spec(), New); err != nil {
		panic(err)
	}
}

// New builds a kafka_sink from a config parsed with Spec, as the host
// does; components that speak another dialect (plugin/compat) translate
// their config into Spec's and build through it.
func New(conf *service.ParsedConfig, mgr *service.Resources) (out service.BatchOutput, pol service.BatchPolicy, maxInFlight int, err error) {
	if maxInFlight, err = conf.FieldMaxInFlight(); err != nil {
		return
	}
	if pol, err = conf.FieldBatchPolicy(fieldBatching); err != nil {
		return
	}
	if out, err = newSink(conf, mgr); err != nil {
		return
	}
	out, err = conf.WrapBatchOutputExtractTracingSpanMapping(Name, out)
	return
}

// sink is the kafka_sink output. A write goes through four stages, each
// in the file named for it: build (build.go), produce (produce.go),
// deadLetter (deadletter.go) and finish (outcome.go).
type sink struct {
	conf      *sinkConfig
	log       *service.Logger
	label     string
	connector string // the DLQ's connector name header
	ledger    *accounting.Ledger

	keyJSON        bool  // key_field values go to the key codec as JSON
	staticTopicErr error // a static topic's name checked once

	mu     sync.RWMutex
	client *kgo.Client

	// iso is a second client used only to produce records one at a time
	// after a batch was refused as too large, so a record is never blamed
	// for the size of records it happened to share a batch with. It is
	// created on first need; isoMu keeps its use sequential.
	isoMu sync.Mutex
	iso   *kgo.Client

	dlqW *dlq.Writer // nil without a dlq block

	// With transactions, every write goes through txn (txn.go), which
	// has a client of its own; client is not used.
	txn  *transactor
	txns *service.MetricCounter // kafka_sink_transactions{outcome}
}

func newSink(conf *service.ParsedConfig, mgr *service.Resources) (*sink, error) {
	c, err := parseConfig(conf)
	if err != nil {
		return nil, err
	}
	s := &sink{
		conf:      c,
		log:       mgr.Logger(),
		label:     mgr.Label(),
		connector: dlq.ConnectorName(mgr.Label(), mgr.Path()),
		ledger:    accounting.NewLedger(Name, mgr.Metrics()),
		keyJSON:   c.keyPath != nil && serde.TakesJSON(c.keyCodec.Codec),
		txns:      mgr.Metrics().NewCounter(Name+"_transactions", "outcome"),
	}
	if t, ok := c.topic.Static(); ok {
		s.staticTopicErr = kafkaconn.ValidTopic(t)
	}
	return s, nil
}

func (s *sink) clientOpts() []kgo.Opt {
	return append(s.conf.conn.Opts(), s.conf.producer.opts()...)
}

// Connect creates the client if needed and checks that the cluster answers.
// It is also called after WriteBatch returned service.ErrNotConnected.
func (s *sink) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conf.txn != nil {
		return s.connectTxnLocked(ctx)
	}
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
		w, err := dlq.NewWriter(s.ledger, append(s.conf.conn.Opts(), s.conf.dlq.producer.opts()...)...)
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
	cl, txn := s.client, s.txn
	s.mu.RUnlock()
	if s.conf.txn != nil {
		if txn == nil {
			return service.ErrNotConnected
		}
		s.ledger.Receive(len(batch))
		return txn.write(ctx, batch)
	}
	if cl == nil {
		return service.ErrNotConnected
	}
	s.ledger.Receive(len(batch))
	recs := s.build(ctx, batch)

	timeout := s.conf.producer.timeout
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if produce(pctx, cl, recs, timeout, s.answering(cl)) {
		s.isolateTooLarge(pctx, recs)
	} else {
		// The client held records whose fate it cannot know (sent, never
		// answered) past the timeout and its graces, and the cluster
		// stopped answering. produce closed the client to fail them:
		// they are nacked for the host to retry (a retry may duplicate a
		// record the broker did write: at-least-once), records already
		// delivered stay delivered, and Connect builds a fresh client.
		s.log.Warnf("%s: no answer for the records in flight after %v; reconnecting. Records whose delivery is unknown are retried and may be written twice", Name, timeout)
		s.forgetClient(cl)
	}
	if s.dlqW != nil {
		s.deadLetter(pctx, s.dlqW, batch, recs)
	}
	return s.finish(ctx, cl, batch, recs)
}

// connectTxnLocked builds the transactor, or a new one when the current
// one's client failed. Callers hold s.mu.
func (s *sink) connectTxnLocked(ctx context.Context) error {
	replacing := false
	if old := s.txn; old != nil {
		if old.broken.Load() == nil {
			return nil
		}
		old.shutdown()
		s.txn, replacing = nil, true
	}
	t, err := s.connectTxn(ctx, replacing)
	if err != nil {
		return err
	}
	s.txn = t
	return nil
}

// answering reports whether the cluster answers cl, for produce to decide
// whether records outliving a write's timeout are slow or lost.
func (s *sink) answering(cl *kgo.Client) func() bool {
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), s.conf.producer.timeout)
		defer cancel()
		return s.conf.conn.Ping(ctx, cl) == nil
	}
}

// forgetClient drops cl, already closed, unless Connect replaced it.
func (s *sink) forgetClient(cl *kgo.Client) {
	s.mu.Lock()
	if s.client == cl {
		s.client = nil
	}
	s.mu.Unlock()
}

// Close flushes nothing (WriteBatch waits for every record) and closes the
// clients, then logs the summary line.
func (s *sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.client != nil {
		s.client.Close()
		s.client = nil
	}
	txn := s.txn
	s.txn = nil
	s.mu.Unlock()
	if txn != nil {
		txn.close(ctx)
	}
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
