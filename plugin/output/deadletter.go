package output

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/plugin/internal/failure"
)

// deadLetter writes the records that failed for a reason of their own to
// the dead-letter topic and marks those that made it. Every other
// failure, and a record whose dead-letter write fails, stays failed: it is
// nacked, with both causes in its error.
//
// A dead letter holds the record's key as it would have been written (the
// raw key where the key failed to serialize), the raw message as its
// value, the record's headers and timestamp, and the error context
// headers (internal/dlq).
func (s *sink) deadLetter(ctx context.Context, w *dlq.Writer, batch service.MessageBatch, recs []record) {
	var idx []int
	for i := range recs {
		if recs[i].err != nil && recs[i].class.OwnFault {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	d := s.conf.dlq
	topics := d.topic.Over(batch)
	letters := make([]*kgo.Record, 0, len(idx))
	kept := idx[:0]
	for _, i := range idx {
		r := &recs[i]
		topic, err := topics.String(i)
		if err != nil {
			s.ledger.Error(failure.StageDLQ, failure.Interpolation)
			r.err = fmt.Errorf("%w; not dead-lettered: field %s.topic: %v", r.err, fieldDLQ, err)
			continue
		}
		value, err := batch[i].AsBytes()
		if err != nil {
			s.ledger.Error(failure.StageDLQ, failure.Other)
			r.err = fmt.Errorf("%w; not dead-lettered: reading the message: %v", r.err, err)
			continue
		}
		orig := kgo.Record{Key: r.rec.Key, Value: value, Headers: r.rec.Headers, Timestamp: r.rec.Timestamp}
		letters = append(letters, dlq.Letter(topic, &orig, dlq.Failure{
			Topic: r.rec.Topic, Partition: -1, Offset: -1,
			Stage: r.class.Stage, Reason: r.class.Reason, ClassName: s.className(r.class.Reason),
			Err: r.err, Connector: s.connector,
		}, d.headers))
		kept = append(kept, i)
	}
	for j, err := range w.Write(ctx, letters) {
		r := &recs[kept[j]]
		if err != nil {
			r.err = fmt.Errorf("%w; and the dead-letter write to %q failed: %v", r.err, letters[j].Topic, err)
			continue
		}
		r.dead = true
	}
}

// className is what failed, for the DLQ's class name header: the codec
// for a serialization failure, else the component.
func (s *sink) className(reason failure.Reason) string {
	switch reason {
	case failure.KeySerializer:
		return "serde." + s.conf.keyCodec.Type
	case failure.ValueSerializer:
		return "serde." + s.conf.valueCodec.Type
	}
	return Name
}
