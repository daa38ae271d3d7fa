package output

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/failure"
	"github.com/ferry-connect/ferry/plugin/internal/interp"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/internal/kafkameta"
	"github.com/ferry-connect/ferry/serde"
)

// record is one message's way through WriteBatch. The stages of a write
// each read and update the batch's records in place, by index: build
// fills rec, produce sends the ready ones and fails the rest, deadLetter
// marks those it put in the dead-letter queue, and finish gives each its
// one outcome.
type record struct {
	// rec is the Kafka record as far as it was built: a record that
	// failed still names its topic and key, for its error and its dead
	// letter.
	rec   kgo.Record
	ready bool // fully built: produce sends it

	err   error         // why it failed; nil while it has not
	class failure.Class // err classified, set with it by fail
	dead  bool          // in the dead-letter queue
}

// fail records why r failed, classified once.
func (r *record) fail(err error) { r.err, r.class = err, failure.Classify(err) }

// succeed clears r's failure: a retry delivered it.
func (r *record) succeed() { r.err, r.class = nil, failure.Class{} }

// failBuild fails r for a reason of its own found while building it. (A
// serializer's error that says the schema registry is out of reach is
// still classified as retriable: failure.Classify looks for that first.)
func (r *record) failBuild(stage failure.Stage, reason failure.Reason, format string, args ...any) {
	r.fail(&failure.Error{Stage: stage, Reason: reason, Err: fmt.Errorf(format, args...)})
}

// build turns a batch into records, one per message, in one pass: topic,
// key, partition, headers, timestamp and the serialized key and value. A
// message that cannot become a record fails alone; the others are
// unaffected.
//
// Work that does not depend on the message is done once per batch (the
// interpolation executors) or once per output (a static topic's check).
func (s *sink) build(ctx context.Context, batch service.MessageBatch) []record {
	c := s.conf
	recs := make([]record, len(batch)) // one allocation for the batch's records
	topicI, keyI := c.topic.Over(batch), c.key.Over(batch)
	partI, tsI := c.partition.Over(batch), c.timestampMs.Over(batch)
	headerI := make([]func(int) ([]byte, error), len(c.headers))
	for h, spec := range c.headers {
		headerI[h] = spec.value.Over(batch).Bytes
	}
	// Without timestamp_ms, the records of a batch share the time it is
	// written: the client would otherwise read the clock once per record.
	now := time.Now()
	framed := &serde.HeaderList{} // what the codecs frame a record with
	for i, msg := range batch {
		r := &recs[i]
		*framed = (*framed)[:0]
		topic, err := topicI.String(i)
		if err != nil {
			r.failBuild(failure.StageSerialize, failure.Interpolation, "field %s: %w", fieldTopic, err)
			continue
		}
		r.rec.Topic = topic
		if err := s.checkTopic(topic); err != nil {
			r.failBuild(failure.StageProduce, failure.InvalidTopic, "field %s: %w", fieldTopic, err)
			continue
		}

		if !s.buildKey(ctx, r, msg, keyI, i, framed) {
			continue
		}

		if c.partition.IsSet() {
			ps, err := partI.String(i)
			if err != nil {
				r.failBuild(failure.StageSerialize, failure.Interpolation, "field %s: %w", fieldPartition, err)
				continue
			}
			p, err := strconv.ParseInt(ps, 10, 32)
			if err != nil || p < 0 {
				r.failBuild(failure.StageSerialize, failure.InvalidPartition, "field %s: %q is not a partition number", fieldPartition, ps)
				continue
			}
			r.rec.Partition = int32(p)
		}

		if c.metaFilter != nil {
			// The walk's callback never fails.
			_ = c.metaFilter.Walk(msg, func(k, v string) error {
				r.rec.Headers = append(r.rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
				return nil
			})
			sort.Slice(r.rec.Headers, func(a, b int) bool { return r.rec.Headers[a].Key < r.rec.Headers[b].Key })
		}
		if !s.addHeaders(r, headerI, i) {
			continue
		}

		if !s.stamp(r, &tsI, i, now) {
			continue
		}

		if kafkameta.IsTombstone(msg) {
			// A tombstone (kafka_tombstone_message) is written with a
			// null value, whatever the serializer: a delete on a
			// compacted topic stays a delete.
			s.frame(r, *framed)
			r.ready = true
			continue
		}
		raw, err := msg.AsBytes()
		if err == nil {
			r.rec.Value, err = c.valueCodec.Serialize(ctx, serde.Target{Topic: topic, Headers: framed}, raw)
		}
		if err != nil {
			r.failBuild(failure.StageSerialize, failure.ValueSerializer, "field %s: %w", fieldValueSerializer, err)
			continue
		}
		s.frame(r, *framed)
		r.ready = true
	}
	return recs
}

// buildKey sets r's key: interpolated or extracted, then serialized
// (framing headers go to framed). It fails r and returns false when it
// cannot.
func (s *sink) buildKey(ctx context.Context, r *record, msg *service.Message, keyI interp.Batch, i int, framed *serde.HeaderList) bool {
	c := s.conf
	var rawKey []byte
	var err error
	switch {
	case c.key.IsSet():
		if rawKey, err = keyI.Bytes(i); err != nil {
			r.failBuild(failure.StageSerialize, failure.Interpolation, "field %s: %w", fieldKey, err)
			return false
		}
	case c.keyPath != nil:
		if rawKey, err = extractKey(msg, c.keyPath, s.keyJSON); err != nil {
			r.failBuild(failure.StageSerialize, failure.KeyField, "field %s (%s): %w", fieldKeyField, c.keyField, err)
			return false
		}
	}
	if len(rawKey) > 0 {
		if r.rec.Key, err = c.keyCodec.Serialize(ctx, serde.Target{Topic: r.rec.Topic, Key: true, Headers: framed}, rawKey); err != nil {
			r.rec.Key = rawKey
			r.failBuild(failure.StageSerialize, failure.KeySerializer, "field %s: %w", fieldKeySerializer, err)
			return false
		}
	} else if c.key.IsSet() || c.keyPath != nil {
		s.ledger.NullKey()
	}
	return true
}

// frame gives r the headers its codecs framed it with, in place of any
// header of a name a codec owns: one copied from metadata names the schema
// of the record the message was read from, not of the bytes written now.
func (s *sink) frame(r *record, framed serde.HeaderList) {
	if len(s.conf.schemaHeaders) == 0 {
		return
	}
	hs := r.rec.Headers[:0]
	for _, h := range r.rec.Headers {
		if !slices.Contains(s.conf.schemaHeaders, h.Key) {
			hs = append(hs, h)
		}
	}
	for _, h := range framed {
		hs = append(hs, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	r.rec.Headers = hs
}

// checkTopic applies Kafka's topic name rules; a static topic was checked
// once, at start-up.
func (s *sink) checkTopic(topic string) error {
	if _, static := s.conf.topic.Static(); static {
		return s.staticTopicErr
	}
	return kafkaconn.ValidTopic(topic)
}

// addHeaders appends the `headers` field's headers to r, in name order, or
// fails r and returns false.
func (s *sink) addHeaders(r *record, values []func(int) ([]byte, error), i int) bool {
	for h, spec := range s.conf.headers {
		v, err := values[h](i)
		if err != nil {
			r.failBuild(failure.StageSerialize, failure.Interpolation, "field %s.%s: %w", fieldHeaders, spec.name, err)
			return false
		}
		r.rec.Headers = append(r.rec.Headers, kgo.RecordHeader{Key: spec.name, Value: v})
	}
	return true
}

// unitName names a timestamp field's unit in errors.
func unitName(d time.Duration) string {
	if d == time.Second {
		return "seconds"
	}
	return "milliseconds"
}

// stamp sets r's timestamp: timestamp_ms (or timestamp, in seconds) for
// message i, or now. It reports false when r failed.
func (s *sink) stamp(r *record, tsI *interp.Batch, i int, now time.Time) bool {
	c := s.conf
	if !c.timestampMs.IsSet() {
		r.rec.Timestamp = now
		return true
	}
	ts, err := tsI.String(i)
	if err != nil {
		r.failBuild(failure.StageSerialize, failure.Interpolation, "field %s: %w", c.timestampField, err)
		return false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		r.failBuild(failure.StageSerialize, failure.InvalidTimestamp, "field %s: %q is not a whole number of %s", c.timestampField, ts, unitName(c.timestampUnit))
		return false
	}
	if c.timestampUnit == time.Second {
		r.rec.Timestamp = time.Unix(n, 0)
	} else {
		r.rec.Timestamp = time.UnixMilli(n)
	}
	return true
}
