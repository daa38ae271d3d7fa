package output

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/accounting"
	"github.com/ferry-connect/ferry/internal/dlq"
)

// HeaderTruncated marks a dead letter whose value was dropped because the
// record was too large even for the dead-letter topic. Its value is the
// size of the dropped value in bytes.
const HeaderTruncated = "__ferry.dlq.value_dropped_bytes"

// HeaderReason is Ferry's short reason for a dead letter, the same as the
// `reason` label of kafka_sink_errors (e.g. value_serializer,
// message_too_large).
const HeaderReason = "__ferry.errors.reason"

// deadLetter writes the records that failed for a reason of their own to
// the DLQ and reports which made it there. Every other failure, and a
// record whose dead-letter write fails, stays in errs for the host.
func (s *sink) deadLetter(ctx context.Context, batch service.MessageBatch, partial []*kgo.Record, errs []error) []bool {
	dead := make([]bool, len(errs))
	var idx []int
	var recs []*kgo.Record
	for i, err := range errs {
		if err == nil {
			continue
		}
		c := classify(err)
		if !c.ownFault {
			continue
		}
		topic, terr := batch.TryInterpolatedString(i, s.conf.dlq.topic)
		if terr == nil {
			terr = validTopic(topic)
		}
		if terr != nil {
			s.ledger.Error(accounting.StageDLQ, "invalid_topic")
			errs[i] = fmt.Errorf("%w; not dead-lettered: field %s.topic: %v", err, fieldDLQ, terr)
			continue
		}
		orig := partial[i]
		value, _ := batch[i].AsBytes()
		raw := &kgo.Record{Key: orig.Key, Value: value, Headers: orig.Headers, Timestamp: orig.Timestamp}
		var r *kgo.Record
		if s.conf.dlq.headers {
			class := Name
			switch c.reason {
			case "key_serializer":
				class = "serde." + s.conf.keyCodec.Type
			case "value_serializer":
				class = "serde." + s.conf.valueCodec.Type
			}
			r = dlq.Record(topic, raw, dlq.Failure{
				Topic: orig.Topic, Partition: -1, Offset: -1, Stage: c.stage,
				ClassName: class, Err: err, Connector: s.label,
			})
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderReason, Value: []byte(c.reason)})
		} else {
			raw.Topic = topic
			r = raw
		}
		idx = append(idx, i)
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return dead
	}
	werrs := s.dlqW.Write(ctx, recs)
	for j, werr := range werrs {
		if errors.Is(werr, kerr.MessageTooLarge) {
			werrs[j] = s.writeLarge(ctx, recs[j])
		}
	}
	for j, i := range idx {
		if werrs[j] == nil {
			dead[i] = true
			continue
		}
		s.ledger.Error(accounting.StageDLQ, classify(werrs[j]).reason)
		errs[i] = fmt.Errorf("%w; and the dead-letter write to %q failed: %v", errs[i], recs[j].Topic, werrs[j])
	}
	return dead
}

// writeLarge retries a dead letter refused as too large on its own, so it
// is not blamed for its batch; if it is too large alone, its value is
// dropped (key, headers and timestamp are kept, and a header records the
// dropped size) rather than failing it forever.
func (s *sink) writeLarge(ctx context.Context, r *kgo.Record) error {
	err := s.dlqW.WriteAlone(ctx, r)
	if !errors.Is(err, kerr.MessageTooLarge) {
		return err
	}
	r.Headers = append(r.Headers, kgo.RecordHeader{Key: HeaderTruncated, Value: []byte(strconv.Itoa(len(r.Value)))})
	r.Value = nil
	return s.dlqW.WriteAlone(ctx, r)
}
