package input

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/eos"
	"github.com/ferry-connect/ferry/plugin/internal/accounting"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/serde"
)

func init() {
	if err := service.RegisterBatchInput(Name, Spec(), New); err != nil {
		panic(err)
	}
}

// New builds a kafka_source from a config parsed with Spec (or SpecWith),
// as the host does.
func New(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
	return NewWith(conf, mgr, Options{})
}

// Options change how a source built by NewWith hands records over, for
// dialects whose fields say so in their own way (plugin/compat).
type Options struct {
	// Ordered hands over one batch of a partition at a time: the next
	// is released only once the pipeline has acknowledged the last, so
	// a partition's records are processed and delivered in order even
	// through retries.
	Ordered bool
	// MaxBatchBytes, without a batching policy, also cuts a batch once
	// its messages hold this many bytes (0: no cap).
	MaxBatchBytes int
	// CheckpointLimit and Batching, when set, stand in for the fields of
	// those names (a dialect that keeps them elsewhere).
	CheckpointLimit int
	Batching        *service.BatchPolicy
}

// NewWith is New with options.
func NewWith(conf *service.ParsedConfig, mgr *service.Resources, o Options) (service.BatchInput, error) {
	s, err := newSourceWith(conf, mgr, o)
	if err != nil {
		return nil, err
	}
	if o.Ordered {
		s.flow.serialize()
	}
	s.batch.maxBytes = o.MaxBatchBytes
	in, err := service.AutoRetryNacksBatchedToggled(conf, s)
	if err != nil {
		return nil, err
	}
	if in, err = service.ForceTimelyNacksBatched(conf, in); err != nil {
		return nil, err
	}
	return withTracing(conf, mgr, in)
}

// source is the kafka_source input. Its concerns each live in the file
// named for them:
//
//   - source.go: the lifecycle (Connect, ReadBatch, Close) and the poll
//     loop;
//   - ingest.go: one partition's fetch, decoded and sent on (to the
//     pipeline, the dead-letter topic, or nowhere when it stops);
//   - decode.go: a record into a message with its metadata;
//   - batching.go: records into batches under the batching policy;
//   - flow.go: the partitions, the checkpoint limit, the release queue;
//   - offsets.go: where a partition may commit;
//   - group.go: the group's callbacks and commits;
//   - lag.go: the lag gauge.
//
// ReadBatch is called by one goroutine at a time (the reader); acks come
// from any goroutine, group callbacks from the client's.
type source struct {
	conf   *sourceConfig
	log    *service.Logger
	ledger *accounting.Ledger
	dec    decoder
	flow   *flow
	batch  *batcher // the reader's only
	group  groupMetrics

	client atomic.Pointer[kgo.Client] // nil until Connect, and after Close

	// A transactional sink that commits this source's offsets
	// (exactlyonce.go), and the registration that lets it find us.
	eosMu      sync.Mutex
	committer  eos.Committer
	unregister func()
	closing    atomic.Bool // Close is committing for the last time
	// transactional: a sink has attached; offsets are committed by
	// transactions only, from then on, attached or not.
	transactional atomic.Bool

	mu   sync.Mutex  // serializes Connect and Close, which start and stop these:
	dlqW *dlq.Writer // set once, by the first Connect; used by the reader
	lag  *lagLoop
}

func newSource(conf *service.ParsedConfig, mgr *service.Resources) (*source, error) {
	return newSourceWith(conf, mgr, Options{})
}

func newSourceWith(conf *service.ParsedConfig, mgr *service.Resources, o Options) (*source, error) {
	c, err := parseConfig(conf)
	if err != nil {
		return nil, err
	}
	if o.CheckpointLimit > 0 {
		c.checkpointLimit = o.CheckpointLimit
	}
	if o.Batching != nil {
		c.batching = *o.Batching
	}
	m := mgr.Metrics()
	s := &source{
		conf:   c,
		log:    mgr.Logger(),
		ledger: accounting.NewLedger(Name, m),
		dec: decoder{
			key: c.keyCodec, value: c.valueCodec,
			keyJSON:     serde.TakesJSON(c.keyCodec.Codec),
			connector:   dlq.ConnectorName(mgr.Label(), mgr.Path()),
			multiHeader: c.multiHeader,
		},
		flow:  newFlow(c.checkpointLimit, c.group != ""),
		batch: newBatcher(c.batching, mgr, c.checkpointLimit),
		group: newGroupMetrics(m),
	}
	if label := mgr.Label(); label != "" {
		s.unregister = eos.Register(label, s)
	}
	return s, nil
}

func (s *source) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client.Load() != nil {
		return nil
	}
	cl, err := kgo.NewClient(append(s.conf.conn.Opts(), s.clientOpts()...)...)
	if err != nil {
		return fmt.Errorf("%s: creating client: %w", Name, err)
	}
	if err := s.conf.conn.Ping(ctx, cl); err != nil {
		cl.Close()
		return err
	}
	if s.conf.onError == onErrorDLQ {
		if s.dlqW, err = dlq.NewWriter(s.ledger, append(s.conf.conn.Opts(), kgo.AllowAutoTopicCreation())...); err != nil {
			cl.Close()
			return err
		}
	}
	s.client.Store(cl)
	if s.conf.group != "" {
		s.lag = startLag(cl, s.conf.group, s.conf.lagRefresh, s.group.lag)
	}
	return nil
}

// clientOpts are the consumer's options, with the group's callbacks.
func (s *source) clientOpts() []kgo.Opt {
	opts := s.conf.opts
	if s.conf.group != "" {
		opts = append(opts, s.groupOpts()...)
	}
	return opts
}

func (s *source) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	cl := s.client.Load()
	if cl == nil {
		return nil, nil, service.ErrNotConnected
	}
	for {
		if r := s.flow.pendingRewind(); r != nil {
			if err := s.rewindNow(ctx, cl, r); err != nil {
				return nil, nil, err
			}
			continue
		}
		s.batch.retire(ctx, s.flow.takeRetired())
		if r, ok := s.flow.next(); ok {
			return r.msgs, s.ackFunc(r), nil
		}
		wait, flush := s.batch.untilNext()
		budget := s.flow.pollBudget()
		if budget <= 0 {
			// Enough is decoded and held back: wait for acks to
			// release it (or for a batching period to end) rather
			// than fetch more.
			if err := s.awaitRelease(ctx, wait, flush); err != nil {
				return nil, nil, err
			}
			continue
		}
		fetches, polled := s.poll(ctx, cl, budget, wait, flush)
		if !polled {
			continue // batches were released meanwhile
		}
		if fetches.IsClientClosed() {
			return nil, nil, service.ErrNotConnected
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		fetches.EachError(func(t string, p int32, err error) {
			switch {
			case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			case t == "":
				s.log.Warnf("%s: consumer group %q: %v", Name, s.conf.group, err)
			default:
				s.log.Warnf("%s: fetching %s/%d: %v", Name, t, p, err)
			}
		})
		var err error
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			if err == nil && len(fp.Records) > 0 {
				err = s.ingest(ctx, cl, fp)
			}
		})
		if err != nil {
			return nil, nil, err
		}
		s.flushDue(ctx)
	}
}

// poll takes up to budget records from the client, for at most wait when
// a batching period is due. An ack that releases held batches cuts it
// short; polled is false when batches were released before it began.
//
// Taking no more records than may be held leaves the rest in the client's
// buffer in their compact form, and the client fetches no more until it
// is drained.
func (s *source) poll(ctx context.Context, cl *kgo.Client, budget int, wait time.Duration, flush bool) (kgo.Fetches, bool) {
	pctx, cancel := context.WithCancel(ctx)
	if flush {
		pctx, cancel = context.WithTimeout(ctx, wait)
	}
	defer cancel()
	if !s.flow.startPoll(cancel) {
		return nil, false
	}
	defer s.flow.endPoll()
	return cl.PollRecords(pctx, budget), true
}

// awaitRelease waits for an ack to release held batches, or for the next
// batching period to end when flush is set.
func (s *source) awaitRelease(ctx context.Context, wait time.Duration, flush bool) error {
	var due <-chan time.Time
	if flush {
		t := time.NewTimer(wait)
		defer t.Stop()
		due = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.flow.wake:
	case <-due:
		s.flushDue(ctx)
	}
	return nil
}

// flushDue hands on the pending batches whose batching period ended.
func (s *source) flushDue(ctx context.Context) {
	batches, err := s.batch.due(ctx)
	for _, r := range batches {
		s.flow.hold(r.p, r)
	}
	if err != nil {
		s.log.Errorf("%s: flushing a batch: %v", Name, err)
	}
}

// ackFunc is the acknowledgement of a batch handed to the pipeline.
func (s *source) ackFunc(r ready) service.AckFunc {
	return func(_ context.Context, err error) error {
		if err != nil {
			// Only reached with auto_replay_nacks: false: the pipeline
			// gave the records up, so they count as done.
			s.ledger.Outcome(accounting.Nacked, len(r.offs))
		} else {
			s.ledger.Outcome(accounting.Delivered, len(r.offs))
		}
		s.flow.ack(r, s.mark)
		return nil
	}
}

// Close commits what is acknowledged (through the transactional sink, if
// one is attached), leaves the group and logs the summary.
func (s *source) Close(ctx context.Context) error {
	if c := s.attached(); c != nil {
		cctx, cancel := context.WithTimeout(ctx, commitTimeout)
		if err := c.CommitNow(cctx); err != nil {
			s.log.Warnf("%s: committing the transaction on close: %v", Name, err)
		}
		cancel()
	}
	// Leaving the group revokes every partition; what could be committed
	// is, below or (transactional) just above.
	s.closing.Store(true)
	if s.unregister != nil {
		s.unregister()
	}
	s.mu.Lock()
	cl := s.client.Swap(nil)
	lag, w := s.lag, s.dlqW
	s.lag = nil
	s.mu.Unlock()
	if lag != nil {
		lag.stop()
	}
	if cl != nil {
		if s.conf.group != "" && !s.transactional.Load() {
			s.countCommit(cl.CommitMarkedOffsets(ctx))
		}
		cl.Close()
	}
	if w != nil {
		w.Close()
	}
	s.batch.close(ctx)
	s.log.Infof("%s", s.ledger.Summary())
	return nil
}
