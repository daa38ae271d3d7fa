package input

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/accounting"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/serde"
)

// fetched is one partition's fetched records on their way in.
type fetched struct {
	recs []*kgo.Record

	msgs service.MessageBatch // for the pipeline, in offset order
	offs []int64              // msgs' offsets
	dead []undecoded          // for the dead-letter topic
	// written are the offsets of the records now in the dead-letter
	// topic.
	written []int64
	// control are the offsets of the transaction markers among recs:
	// never messages, but done as soon as they are read, so that the
	// group's commit passes them as a Java consumer's position does (a
	// partition ending in a marker would otherwise show a lag of one
	// forever).
	control []int64

	// stop is the index of the record the partition stops at, -1 for
	// none: it is neither delivered nor dead-lettered, so no commit may
	// pass it. why says why.
	stop int
	why  error
}

// undecoded is a record that did not decode, for the dead-letter topic.
type undecoded struct {
	idx     int // into recs
	msg     *service.Message
	failure *dlq.Failure
}

// stopAt makes the partition stop at record idx, unless it already stops
// earlier: the records from idx on are not delivered.
func (f *fetched) stopAt(idx int, why error) {
	if f.stop >= 0 && f.stop <= idx {
		return
	}
	f.stop, f.why = idx, why
	n := sort.Search(len(f.offs), func(i int) bool { return f.offs[i] >= f.recs[idx].Offset })
	f.msgs, f.offs = f.msgs[:n], f.offs[:n]
}

// readControl are the offsets of the transaction markers read: before
// the record the partition stops at, if it stops.
func (f *fetched) readControl() []int64 {
	if f.stop < 0 {
		return f.control
	}
	n := sort.Search(len(f.control), func(i int) bool { return f.control[i] >= f.recs[f.stop].Offset })
	return f.control[:n]
}

// read is how many records, from the first, were read: all of them, or
// those up to the one the partition stops at.
func (f *fetched) read() int {
	if f.stop >= 0 {
		return f.stop + 1
	}
	return len(f.recs)
}

// ingest decodes one partition's fetched records and sends each on its
// way: to the pipeline, in batches held behind the checkpoint limit; to
// the dead-letter topic; or, for a record that can go to neither, nowhere:
// the partition stops at it.
func (s *source) ingest(ctx context.Context, cl *kgo.Client, fp kgo.FetchTopicPartition) error {
	p := s.flow.partition(fp.Topic, fp.Partition, fp.Records[0].Offset)
	if p == nil {
		return nil // revoked while the fetch was in flight, or stopped
	}
	f, err := s.decodeAll(ctx, p, fp)
	if err != nil {
		return err // ctx ended while the schema registry was away
	}
	s.ledger.Receive(len(fp.Records) - len(f.control))
	if len(f.dead) > 0 {
		if err := s.deadLetter(ctx, &f); err != nil {
			return err // ctx ended: nothing of this fetch was tracked or handed on
		}
	}
	// The records are tracked before any of them can be done.
	s.flow.read(p, f.recs[:f.read()])
	if markers := f.readControl(); len(markers) > 0 {
		s.flow.skipped(p, markers, s.mark)
	}
	if len(f.written) > 0 {
		s.ledger.Outcome(accounting.DeadLettered, len(f.written))
		s.flow.deadLettered(p, f.written, s.mark)
	}
	if f.stop >= 0 {
		// The record at f.stop is tracked and never done, so no commit
		// passes it; a restart reads it again.
		s.flow.stop(p)
		cl.PauseFetchPartitions(map[string][]int32{p.topic: {p.part}})
		s.ledger.Outcome(accounting.Nacked, len(f.recs)-len(f.control)-len(f.msgs)-len(f.written))
		r := f.recs[f.stop]
		s.log.Errorf("%s: %s/%d offset %d: the partition stops here: %v", Name, r.Topic, r.Partition, r.Offset, f.why)
	}
	if len(f.msgs) == 0 {
		return nil
	}
	batches, err := s.batch.cut(ctx, p, f.msgs, f.offs)
	s.flow.hold(p, batches...)
	return err
}

// decodeAll decodes the records and sorts them by what
// on_deserialize_error says about those that do not decode. A record that
// does not decode because the schema registry is out of reach is not the
// record's fault: it is decoded again, with back-off, until the registry
// answers (it is never flagged or dead-lettered for that). It returns an
// error only when ctx ends first.
func (s *source) decodeAll(ctx context.Context, p *partition, fp kgo.FetchTopicPartition) (fetched, error) {
	f := fetched{
		recs: fp.Records,
		msgs: make(service.MessageBatch, 0, len(fp.Records)),
		offs: make([]int64, 0, len(fp.Records)),
		stop: -1,
	}
	for i, r := range fp.Records {
		if r.Attrs.IsControl() {
			f.control = append(f.control, r.Offset)
			continue
		}
		msg, fail, err := s.decodeRetrying(ctx, p, fp.HighWatermark, r)
		if err != nil {
			return f, err
		}
		if fail != nil {
			s.ledger.Error(fail.Stage, fail.Reason)
			switch s.conf.onError {
			case onErrorFail:
				f.stopAt(i, fmt.Errorf("it does not decode (on_deserialize_error: fail): %w", fail.Err))
				return f, nil
			case onErrorDLQ:
				f.dead = append(f.dead, undecoded{idx: i, msg: msg, failure: fail})
				continue
			default:
				msg.SetError(fail.Err)
			}
		}
		f.msgs = append(f.msgs, msg)
		f.offs = append(f.offs, r.Offset)
	}
	return f, nil
}

// decodeRetrying decodes r, again and again while the schema registry is
// out of reach (a network error or a 5xx answer), backing off from 100ms
// to 5s and warning once per outage.
func (s *source) decodeRetrying(ctx context.Context, p *partition, hw int64, r *kgo.Record) (*service.Message, *dlq.Failure, error) {
	wait := 100 * time.Millisecond
	for warned := false; ; warned = true {
		msg, fail := s.dec.decode(ctx, p, hw, r)
		if fail == nil || !errors.Is(fail.Err, serde.ErrRegistryUnavailable) {
			return msg, fail, nil
		}
		if !warned {
			s.log.Warnf("%s: %s/%d offset %d: waiting for the schema registry: %v", Name, r.Topic, r.Partition, r.Offset, fail.Err)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// deadLetter writes the records that did not decode to dlq.topic, with
// the error context headers, through the dead-letter path the sink uses
// (internal/dlq: the too-large fallback, and which failures are worth
// retrying). A failure that is retriable (the DLQ is out of reach,
// unauthorized, being created) is retried with back-off while the
// records wait uncommitted. A record that cannot be dead-lettered for a
// reason of its own (dlq.topic does not evaluate for it, the DLQ refuses
// it for good) stops the partition there, as with fail: neither delivered
// nor dead-lettered, it must not be committed past.
//
// It returns an error only when ctx ends first.
func (s *source) deadLetter(ctx context.Context, f *fetched) error {
	batch := make(service.MessageBatch, len(f.dead))
	for i, d := range f.dead {
		batch[i] = d.msg
	}
	topics := s.conf.dlqTopic.Over(batch)
	letters := make([]*kgo.Record, 0, len(f.dead))
	for i, d := range f.dead {
		topic, err := topics.String(i)
		if err != nil {
			f.stopAt(d.idx, fmt.Errorf("it does not decode (%v) and %s.topic: %w", d.failure.Err, fieldDLQ, err))
			break
		}
		letters = append(letters, dlq.Letter(topic, f.recs[d.idx], *d.failure, true))
	}
	errs := s.dlqW.WriteRetrying(ctx, letters, func(n int, first error) {
		s.log.Warnf("%s: writing %d records to the dead-letter topic: %v; retrying", Name, n, first)
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	for j, err := range errs {
		d := f.dead[j]
		if err != nil {
			f.stopAt(d.idx, fmt.Errorf("it does not decode (%v) and the dead-letter topic refuses it: %w", d.failure.Err, err))
			continue
		}
		f.written = append(f.written, f.recs[d.idx].Offset)
	}
	return nil
}
