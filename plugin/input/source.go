package input

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/accounting"
	"github.com/ferry-connect/ferry/internal/dlq"
	"github.com/ferry-connect/ferry/serde"
)

func init() {
	err := service.RegisterBatchInput(Name, Spec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
			s, err := newSource(conf, mgr)
			if err != nil {
				return nil, err
			}
			return service.AutoRetryNacksBatchedToggled(conf, s)
		})
	if err != nil {
		panic(err)
	}
}

type tp struct {
	topic string
	part  int32
}

// ready is a batch waiting to be handed to the pipeline.
type ready struct {
	p    *partition
	msgs service.MessageBatch
	offs []int64
}

// pending collects a partition's records under a batching policy.
type pending struct {
	b    *service.Batcher
	offs []int64
}

type source struct {
	conf    *sourceConfig
	mgr     *service.Resources
	log     *service.Logger
	label   string
	ledger  *accounting.Ledger
	commits *service.MetricCounter
	lag     *service.MetricGauge

	mu      sync.Mutex
	cl      *kgo.Client
	parts   map[tp]*partition
	pending map[tp]*pending
	queue   []ready // released batches, next to hand to the pipeline
	dlqW    *dlq.Writer

	// wake is signalled, and a poll in progress cancelled, when an ack
	// releases held batches.
	wake       chan struct{}
	cancelPoll context.CancelFunc

	stopLag chan struct{}
	lagDone chan struct{}
	keyJSON bool // the key codec decodes to JSON
}

func newSource(conf *service.ParsedConfig, mgr *service.Resources) (*source, error) {
	c, err := parseConfig(conf)
	if err != nil {
		return nil, err
	}
	m := mgr.Metrics()
	return &source{
		conf:    c,
		mgr:     mgr,
		log:     mgr.Logger(),
		label:   mgr.Label(),
		ledger:  accounting.NewLedger(Name, m),
		commits: m.NewCounter(Name+"_commits", "outcome"),
		lag:     m.NewGauge(Name+"_lag", "topic", "partition"),
		parts:   map[tp]*partition{},
		pending: map[tp]*pending{},
		wake:    make(chan struct{}, 1),
		keyJSON: serde.TakesJSON(c.keyCodec.Codec),
	}, nil
}

func (s *source) Connect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl != nil {
		return nil
	}
	opts := append(s.conf.conn.Opts(), s.conf.opts...)
	if s.conf.group != "" {
		opts = append(opts,
			kgo.OnPartitionsAssigned(s.assigned),
			kgo.OnPartitionsRevoked(s.revoked),
			kgo.OnPartitionsLost(s.lost),
			kgo.AutoCommitCallback(func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) {
				s.countCommit(err)
			}),
		)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("%s: creating client: %w", Name, err)
	}
	if err := s.conf.conn.Ping(ctx, cl); err != nil {
		cl.Close()
		return err
	}
	if s.conf.onError == onErrorDLQ {
		if s.dlqW, err = dlq.NewWriter(append(s.conf.conn.Opts(), kgo.AllowAutoTopicCreation())...); err != nil {
			cl.Close()
			return err
		}
	}
	s.cl = cl
	if s.conf.group != "" {
		s.stopLag, s.lagDone = make(chan struct{}), make(chan struct{})
		go s.lagLoop(cl, s.stopLag, s.lagDone)
	}
	return nil
}

func (s *source) countCommit(err error) {
	if err != nil {
		s.commits.Incr(1, "failed")
		s.log.Warnf("%s: committing offsets: %v", Name, err)
		return
	}
	s.commits.Incr(1, "ok")
}

// Group callbacks. kgo guarantees that once revoked returns, no poll
// returns records of the revoked partitions.

func (s *source) assigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, ps := range assigned {
		for _, p := range ps {
			s.parts[tp{t, p}] = &partition{topic: t, part: p}
		}
	}
}

// revoked commits what is acknowledged, then forgets the partitions:
// records of theirs still in flight are read again by the next owner.
func (s *source) revoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	s.forget(revoked)
	s.countCommit(cl.CommitMarkedOffsets(ctx))
}

// lost forgets the partitions without committing: another member may
// already own them.
func (s *source) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	s.forget(lost)
}

func (s *source) forget(gone map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, ps := range gone {
		for _, p := range ps {
			key := tp{t, p}
			delete(s.parts, key)
			if pd := s.pending[key]; pd != nil {
				_ = pd.b.Close(context.Background())
				delete(s.pending, key)
			}
		}
	}
	kept := s.queue[:0]
	for _, r := range s.queue {
		if s.parts[tp{r.p.topic, r.p.part}] == r.p {
			kept = append(kept, r)
		}
	}
	s.queue = kept
}

func (s *source) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	s.mu.Lock()
	cl := s.cl
	s.mu.Unlock()
	if cl == nil {
		return nil, nil, service.ErrNotConnected
	}
	for {
		if b, ack, ok := s.next(); ok {
			return b, ack, nil
		}
		wait, flush := s.untilNextFlush()
		budget := s.pollBudget()
		if budget <= 0 {
			// Enough is decoded and held back: wait for acks to
			// release it (or for a batching period to end) rather
			// than fetch more.
			if err := s.awaitRelease(ctx, wait, flush); err != nil {
				return nil, nil, err
			}
			continue
		}
		pctx, cancel := context.WithCancel(ctx)
		if flush {
			pctx, cancel = context.WithTimeout(ctx, wait)
		}
		// An ack may have released batches since next() looked; it
		// found no poll to cancel. Check under the lock it takes.
		s.mu.Lock()
		if len(s.queue) > 0 {
			s.mu.Unlock()
			cancel()
			continue
		}
		s.cancelPoll = cancel
		s.mu.Unlock()
		// Take no more records than may be held: the rest stay in the
		// client's buffer in their compact form, and the client fetches
		// no more until it is drained.
		fetches := cl.PollRecords(pctx, budget)
		s.mu.Lock()
		s.cancelPoll = nil
		s.mu.Unlock()
		cancel()
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
	case <-s.wake:
	case <-due:
		s.flushDue(ctx)
	}
	return nil
}

// pollBudget is how many records to decode next, or 0 to wait for acks
// first. Records held back across partitions stay under two
// checkpoint_limits per partition, so memory is bounded by that many
// decoded messages plus the client's buffered fetch (fetch_max_bytes).
// Polling only once half of that is free keeps polls, and so batches,
// large: a poll of a few records would cut batches of a few records.
func (s *source) pollBudget() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	held := 0
	for _, p := range s.parts {
		held += p.heldRecords()
	}
	room := 2*s.conf.checkpointLimit*max(len(s.parts), 1) - held
	if room < s.conf.checkpointLimit*max(len(s.parts), 1) {
		return 0
	}
	return room
}

// hold queues a decoded batch behind the partition's checkpoint limit and
// releases what fits. Callers hold s.mu.
func (s *source) hold(r ready) {
	r.p.held = append(r.p.held, r)
	s.queue = r.p.release(s.conf.checkpointLimit, s.queue)
}

// next pops a ready batch and builds its acknowledgement.
func (s *source) next() (service.MessageBatch, service.AckFunc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, nil, false
	}
	r := s.queue[0]
	s.queue = s.queue[1:]
	return r.msgs, func(_ context.Context, err error) error {
		if err != nil {
			// Only reached with auto_replay_nacks: false: the pipeline
			// gave the records up, so they count as settled.
			s.ledger.Outcome(accounting.Nacked, len(r.msgs))
		} else {
			s.ledger.Outcome(accounting.Delivered, len(r.msgs))
		}
		s.settle(r.p, r.offs)
		s.returned(r.p, len(r.offs))
		return nil
	}, true
}

// returned notes that n records of p left the pipeline, releases held
// batches that now fit, and wakes ReadBatch if it released any.
func (s *source) returned(p *partition, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.out -= n
	before := len(s.queue)
	if s.conf.group == "" || s.parts[tp{p.topic, p.part}] == p {
		s.queue = p.release(s.conf.checkpointLimit, s.queue)
	}
	if len(s.queue) > before {
		if s.cancelPoll != nil {
			s.cancelPoll()
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// settle marks records done and marks the new commit point, if any.
func (s *source) settle(p *partition, offs []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conf.group != "" && s.parts[tp{p.topic, p.part}] != p {
		return // revoked or lost since: its offsets are not ours to commit
	}
	next, epoch, ok := p.settle(offs)
	if ok && s.conf.group != "" {
		s.cl.MarkCommitOffsets(map[string]map[int32]kgo.EpochOffset{p.topic: {p.part: {Epoch: epoch, Offset: next}}})
	}
}

func (s *source) partitionFor(key tp) *partition {
	p := s.parts[key]
	if p == nil && s.conf.group == "" {
		p = &partition{topic: key.topic, part: key.part}
		s.parts[key] = p
	}
	return p
}

// ingest decodes one partition's fetched records and queues them.
func (s *source) ingest(ctx context.Context, cl *kgo.Client, fp kgo.FetchTopicPartition) error {
	s.mu.Lock()
	key := tp{fp.Topic, fp.Partition}
	p := s.partitionFor(key)
	s.mu.Unlock()
	if p == nil || p.stopped {
		return nil // revoked while the fetch was in flight, or stopped by fail
	}
	s.ledger.Attempt(len(fp.Records))

	msgs := make(service.MessageBatch, 0, len(fp.Records))
	offs := make([]int64, 0, len(fp.Records))
	var dead []*kgo.Record
	var deadOffs []int64
	read := len(fp.Records) // records decoded, in order: fewer if the partition stops
	for i, r := range fp.Records {
		msg, failure := s.decode(ctx, p, fp, r)
		if failure != nil {
			s.ledger.Error(accounting.StageDeserialize, failure.ClassName)
			var stop error // why the partition stops at r
			switch s.conf.onError {
			case onErrorFail:
				stop = fmt.Errorf("it does not decode (on_deserialize_error: fail): %w", failure.Err)
			case onErrorDLQ:
				topic, err := s.conf.dlqTopic.TryString(msg)
				if err == nil {
					dead = append(dead, dlq.Record(topic, r, *failure))
					deadOffs = append(deadOffs, r.Offset)
					continue
				}
				// Neither deliverable nor dead-letterable: stop
				// rather than commit past it.
				stop = fmt.Errorf("it does not decode (%v) and %s.topic: %w", failure.Err, fieldDLQ, err)
			default:
				msg.SetError(failure.Err)
			}
			if stop != nil {
				// r is tracked and never settled, so no commit passes
				// it; a restart reads it again.
				read = i + 1
				s.mu.Lock()
				p.stopped = true
				s.mu.Unlock()
				cl.PauseFetchPartitions(map[string][]int32{fp.Topic: {fp.Partition}})
				s.ledger.Outcome(accounting.Nacked, len(fp.Records)-len(msgs)-len(dead))
				s.log.Errorf("%s: %s/%d offset %d: the partition stops here: %v", Name, fp.Topic, fp.Partition, r.Offset, stop)
				goto queue
			}
		}
		msgs = append(msgs, msg)
		offs = append(offs, r.Offset)
	}
queue:
	// The records read are tracked in one go: they are not settled
	// before they are queued below, so none can be acked before it is
	// tracked.
	s.mu.Lock()
	p.track(fp.Records[:read])
	s.mu.Unlock()
	if len(dead) > 0 {
		if err := s.writeDead(ctx, dead); err != nil {
			return err
		}
		s.ledger.Outcome(accounting.DeadLettered, len(dead))
		s.settle(p, deadOffs)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conf.group != "" && s.parts[key] != p {
		return nil // revoked while we decoded
	}
	if len(msgs) > 0 {
		switch {
		case s.conf.batching.IsNoop() && s.conf.batching.Count == 1:
			// Benthos counts `count: 1` as no policy; the user asked
			// for one message per batch.
			for i, m := range msgs {
				s.hold(ready{p: p, msgs: service.MessageBatch{m}, offs: offs[i : i+1]})
			}
		case s.conf.batching.IsNoop():
			// One batch per fetch, cut at checkpoint_limit records so a
			// batch never holds more than the partition may have in
			// flight.
			for lim := s.conf.checkpointLimit; len(msgs) > 0; {
				n := min(lim, len(msgs))
				s.hold(ready{p: p, msgs: msgs[:n:n], offs: offs[:n:n]})
				msgs, offs = msgs[n:], offs[n:]
			}
		default:
			if err := s.addPending(ctx, key, p, msgs, offs); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeDead writes dead letters, retrying with back-off while the DLQ is
// unwritable: the records stay in flight, so no commit passes them.
func (s *source) writeDead(ctx context.Context, recs []*kgo.Record) error {
	backoff := 100 * time.Millisecond
	for {
		errs := s.dlqW.Write(ctx, recs)
		var failed []*kgo.Record
		var first error
		for i, err := range errs {
			if err != nil {
				failed = append(failed, recs[i])
				if first == nil {
					first = err
				}
			}
		}
		if len(failed) == 0 {
			return nil
		}
		s.ledger.Error(accounting.StageProduce, "dlq_write")
		s.log.Warnf("%s: writing %d records to the dead-letter topic %s: %v; retrying", Name, len(failed), failed[0].Topic, first)
		recs = failed
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

func (s *source) addPending(ctx context.Context, key tp, p *partition, msgs service.MessageBatch, offs []int64) error {
	pd := s.pending[key]
	if pd == nil {
		b, err := s.conf.batching.NewBatcher(s.mgr)
		if err != nil {
			return err
		}
		pd = &pending{b: b}
		s.pending[key] = pd
	}
	for i, m := range msgs {
		pd.offs = append(pd.offs, offs[i])
		if pd.b.Add(m) {
			if err := s.flushLocked(ctx, p, pd); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *source) flushLocked(ctx context.Context, p *partition, pd *pending) error {
	batch, err := pd.b.Flush(ctx)
	if err != nil {
		return err
	}
	if len(pd.offs) > 0 {
		s.hold(ready{p: p, msgs: batch, offs: pd.offs})
		pd.offs = nil
	}
	return nil
}

func (s *source) untilNextFlush() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var min time.Duration
	found := false
	for _, pd := range s.pending {
		if len(pd.offs) == 0 {
			continue
		}
		if d, ok := pd.b.UntilNext(); ok && (!found || d < min) {
			min, found = d, true
		}
	}
	if found && min < time.Millisecond {
		min = time.Millisecond
	}
	return min, found
}

func (s *source) flushDue(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, pd := range s.pending {
		if len(pd.offs) == 0 {
			continue
		}
		// UntilNext reports an overdue period as 1ns, never as zero.
		if d, ok := pd.b.UntilNext(); ok && d <= time.Nanosecond {
			if err := s.flushLocked(ctx, s.parts[key], pd); err != nil {
				s.log.Errorf("%s: flushing a batch: %v", Name, err)
			}
		}
	}
}

// decode turns a record into a message, or says why it cannot.
//
// Metadata values are stored boxed in an interface; boxing a string or an
// int64 allocates, and the host allocates a message, its map and a span
// per record besides. The values every record of a partition shares
// (topic, partition) and the timestamps of a run of records produced in
// the same millisecond are boxed once and reused: they are immutable, so
// sharing them between messages is safe.
func (s *source) decode(ctx context.Context, p *partition, fp kgo.FetchTopicPartition, r *kgo.Record) (*service.Message, *dlq.Failure) {
	t := serde.Target{Topic: r.Topic}
	value, verr := s.conf.valueCodec.Deserialize(ctx, t, r.Value)
	raw := false
	if verr != nil {
		value, raw = r.Value, true
	}
	msg := service.NewMessage(value)
	var kerr error
	if r.Key != nil {
		key, err := s.conf.keyCodec.Deserialize(ctx, serde.Target{Topic: r.Topic, Key: true}, r.Key)
		if err != nil {
			key, kerr = r.Key, err
		} else if s.keyJSON && len(key) > 0 && key[0] == '"' {
			// A codec that decodes to JSON gives a string key as JSON
			// text; kafka_key holds the string itself, as key_field
			// takes it on the way in.
			var str string
			if json.Unmarshal(key, &str) == nil {
				key = []byte(str)
			}
		}
		msg.MetaSetMut("kafka_key", string(key))
	}
	bm := p.boxed(r)
	msg.MetaSetMut("kafka_topic", bm.topic)
	msg.MetaSetMut("kafka_partition", bm.part)
	msg.MetaSetMut("kafka_offset", int(r.Offset))
	msg.MetaSetMut("kafka_timestamp_ms", bm.ms)
	msg.MetaSetMut("kafka_timestamp_unix", bm.unix)
	msg.MetaSetMut("kafka_tombstone_message", r.Value == nil)
	msg.MetaSetMut("kafka_lag", max(fp.HighWatermark-r.Offset-1, 0))
	for _, h := range r.Headers {
		msg.MetaSetMut(h.Key, string(h.Value))
	}
	switch {
	case raw:
		return msg, &dlq.Failure{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Stage: accounting.StageDeserialize,
			ClassName: "serde." + s.conf.valueCodec.Type, Err: fmt.Errorf("%s: %w", fieldValueDeserializer, verr), Connector: s.label}
	case kerr != nil:
		return msg, &dlq.Failure{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Stage: accounting.StageDeserialize,
			ClassName: "serde." + s.conf.keyCodec.Type, Err: fmt.Errorf("%s: %w", fieldKeyDeserializer, kerr), Connector: s.label}
	}
	return msg, nil
}

// lagLoop refreshes the lag gauge: for each partition of the group, the
// records after the committed offset.
func (s *source) lagLoop(cl *kgo.Client, stop, done chan struct{}) {
	defer close(done)
	adm := kadm.NewClient(cl)
	t := time.NewTicker(s.conf.lagRefresh)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.conf.lagRefresh)
		lags, err := adm.Lag(ctx, s.conf.group)
		cancel()
		if err == nil {
			lags.Each(func(l kadm.DescribedGroupLag) {
				for _, ml := range l.Lag.Sorted() {
					s.lag.Set(ml.Lag, ml.Topic, strconv.Itoa(int(ml.Partition)))
				}
			})
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// Close commits what is acknowledged, leaves the group and logs the
// summary.
func (s *source) Close(ctx context.Context) error {
	s.mu.Lock()
	cl, stop, done := s.cl, s.stopLag, s.lagDone
	s.cl = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	if cl != nil {
		if s.conf.group != "" {
			s.countCommit(cl.CommitMarkedOffsets(ctx))
		}
		cl.Close()
	}
	if s.dlqW != nil {
		s.dlqW.Close()
	}
	t := s.ledger.Totals()
	s.log.Infof("%s summary: received=%d delivered=%d dead_lettered=%d nacked=%d", Name, t.Attempted, t.Delivered, t.DeadLettered, t.Nacked)
	return nil
}
