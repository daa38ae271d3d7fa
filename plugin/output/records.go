package output

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/accounting"
	"github.com/ferry-connect/ferry/serde"
)

// recordError is why one record of a batch failed before or during
// production. Reason is a short, bounded identifier for metrics; Err carries
// the detail for the pipeline and the logs.
type recordError struct {
	Stage  accounting.Stage
	Reason string
	Err    error
}

func (e *recordError) Error() string { return e.Err.Error() }
func (e *recordError) Unwrap() error { return e.Err }

func prepErr(reason string, format string, args ...any) *recordError {
	return &recordError{Stage: accounting.StageSerialize, Reason: reason, Err: fmt.Errorf(format, args...)}
}

// interp evaluates one interpolated field over one batch. A static field
// (no interpolation functions) is its value; any other runs through an
// executor built once for the batch: MessageBatch.TryInterpolatedString
// copies the whole batch on every call, which made building a batch of n
// records cost O(n²).
type interp struct {
	static   []byte
	isStatic bool
	exec     *service.MessageBatchInterpolationExecutor
}

func newInterp(batch service.MessageBatch, f *service.InterpolatedString) interp {
	if f == nil {
		return interp{}
	}
	if v, ok := f.Static(); ok {
		return interp{static: []byte(v), isStatic: true}
	}
	return interp{exec: batch.InterpolationExecutor(f)}
}

func (i interp) str(idx int) (string, error) {
	if i.isStatic {
		return string(i.static), nil
	}
	return i.exec.TryString(idx)
}

// bytes returns the value; a static value is shared, so callers must not
// modify it.
func (i interp) bytes(idx int) ([]byte, error) {
	if i.isStatic {
		return i.static, nil
	}
	return i.exec.TryBytes(idx)
}

// buildRecords turns a batch into records, one per message, in one pass:
// topic, key, partition, headers, timestamp and the serialized key and
// value. A message that cannot become a record gets an error at its index
// and a nil record; the others are unaffected. partial[i] always holds what
// was worked out for message i (for a failed one, the raw key where its
// serialization failed), for the dead-letter queue.
//
// Work that does not depend on the record is done once per batch: the
// interpolation executors, and the validation of a static topic.
func (s *sink) buildRecords(ctx context.Context, batch service.MessageBatch, recs, partial []*kgo.Record, errs []*recordError) {
	c := s.conf
	keyJSON := c.keyPath != nil && serde.TakesJSON(c.keyCodec.Codec)
	topicI := newInterp(batch, c.topic)
	var staticTopicErr error
	if topicI.isStatic {
		staticTopicErr = validTopic(string(topicI.static))
	}
	keyI := newInterp(batch, c.key)
	partI := newInterp(batch, c.partition)
	tsI := newInterp(batch, c.timestampMs)
	headerI := make([]interp, len(c.headers))
	for h, spec := range c.headers {
		headerI[h] = newInterp(batch, spec.value)
	}
	recBlock := make([]kgo.Record, len(batch)) // one allocation for the batch's records
	// Without timestamp_ms, the records of a batch share the time it is
	// written: the client would otherwise read the clock once per record.
	now := time.Now()
	for i, msg := range batch {
		r := &recBlock[i]
		partial[i] = r
		topic, err := topicI.str(i)
		if err != nil {
			errs[i] = prepErr("interpolation", "field %s: %w", fieldTopic, err)
			continue
		}
		r.Topic = topic
		terr := staticTopicErr
		if !topicI.isStatic {
			terr = validTopic(topic)
		}
		if terr != nil {
			errs[i] = &recordError{Stage: accounting.StageProduce, Reason: "invalid_topic", Err: fmt.Errorf("field %s: %w", fieldTopic, terr)}
			continue
		}

		var rawKey []byte
		switch {
		case c.key != nil:
			if rawKey, err = keyI.bytes(i); err != nil {
				errs[i] = prepErr("interpolation", "field %s: %w", fieldKey, err)
				continue
			}
		case c.keyPath != nil:
			if rawKey, err = extractKey(msg, c.keyPath, keyJSON); err != nil {
				errs[i] = prepErr("key_field", "field %s (%s): %w", fieldKeyField, c.keyField, err)
				continue
			}
		}
		if len(rawKey) > 0 {
			if r.Key, err = c.keyCodec.Serialize(ctx, serde.Target{Topic: topic, Key: true}, rawKey); err != nil {
				r.Key = rawKey
				errs[i] = prepErr("key_serializer", "field %s: %w", fieldKeySerializer, err)
				continue
			}
		} else if c.key != nil || c.keyPath != nil {
			s.ledger.NullKey()
		}

		if c.partition != nil {
			ps, err := partI.str(i)
			if err != nil {
				errs[i] = prepErr("interpolation", "field %s: %w", fieldPartition, err)
				continue
			}
			p, err := strconv.ParseInt(ps, 10, 32)
			if err != nil || p < 0 {
				errs[i] = prepErr("invalid_partition", "field %s: %q is not a partition number", fieldPartition, ps)
				continue
			}
			r.Partition = int32(p)
		}

		if c.metaFilter != nil {
			_ = c.metaFilter.Walk(msg, func(k, v string) error {
				r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
				return nil
			})
			sort.Slice(r.Headers, func(a, b int) bool { return r.Headers[a].Key < r.Headers[b].Key })
		}
		failed := false
		for h, spec := range c.headers {
			v, err := headerI[h].bytes(i)
			if err != nil {
				errs[i] = prepErr("interpolation", "field %s.%s: %w", fieldHeaders, spec.name, err)
				failed = true
				break
			}
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: spec.name, Value: v})
		}
		if failed {
			continue
		}

		if c.timestampMs != nil {
			ts, err := tsI.str(i)
			if err != nil {
				errs[i] = prepErr("interpolation", "field %s: %w", fieldTimestampMs, err)
				continue
			}
			ms, err := strconv.ParseInt(ts, 10, 64)
			if err != nil {
				errs[i] = prepErr("invalid_timestamp", "field %s: %q is not a whole number of milliseconds", fieldTimestampMs, ts)
				continue
			}
			r.Timestamp = unixMilli(ms)
		} else {
			r.Timestamp = now
		}

		raw, err := msg.AsBytes()
		if err != nil {
			errs[i] = prepErr("value_serializer", "field %s: %w", fieldValueSerializer, err)
			continue
		}
		if r.Value, err = c.valueCodec.Serialize(ctx, serde.Target{Topic: topic}, raw); err != nil {
			errs[i] = prepErr("value_serializer", "field %s: %w", fieldValueSerializer, err)
			continue
		}
		recs[i] = r
	}
}

// extractKey reads the value at path from the structured message. A missing
// or null value is a null key (nil, nil). Strings are returned bare unless
// asJSON, in which case every value is returned as its JSON text.
//
// Scalars are found by scanning the message's bytes (serde.JSONField), with
// no decoding into maps; objects and arrays, and anything the scanner does
// not read exactly as encoding/json would, take the full decode, so both
// paths give the same key.
func extractKey(msg *service.Message, path []string, asJSON bool) ([]byte, error) {
	if raw, err := msg.AsBytes(); err == nil {
		kind, text, err := serde.JSONField(raw, path)
		if err == nil {
			switch kind {
			case serde.JSONMissing, serde.JSONNull:
				return nil, nil
			case serde.JSONString:
				if asJSON {
					return json.Marshal(string(text))
				}
				return noAppend(text), nil
			case serde.JSONNumber, serde.JSONBool:
				return noAppend(text), nil
			}
		}
	}
	return extractKeyDecoded(msg, path, asJSON)
}

// noAppend caps b at its length, so that an append to the key (by a
// serializer) copies rather than writes over the message bytes b aliases.
// Aliasing is safe: a message's bytes are read-only to the host, and the
// record lives no longer than the write of the message.
func noAppend(b []byte) []byte { return b[:len(b):len(b)] }

// extractKeyDecoded is extractKey over the decoded message.
func extractKeyDecoded(msg *service.Message, path []string, asJSON bool) ([]byte, error) {
	v, err := msg.AsStructured()
	if err != nil {
		return nil, fmt.Errorf("message is not structured (JSON): %w", err)
	}
	for _, seg := range path {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(t) {
				return nil, nil
			}
			v = t[idx]
		default:
			return nil, nil
		}
		if v == nil {
			return nil, nil
		}
	}
	if s, ok := v.(string); ok && !asJSON {
		return []byte(s), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cannot encode key value: %w", err)
	}
	return b, nil
}

// validTopic applies Kafka's own topic name rules, so a bad interpolated
// topic fails its record with a clear reason instead of a broker error (or
// worse, auto-creating a topic nobody meant).
func validTopic(t string) error {
	if t == "" {
		return fmt.Errorf("topic name is empty")
	}
	if t == "." || t == ".." {
		return fmt.Errorf("topic name %q is not allowed", t)
	}
	if len(t) > 249 {
		return fmt.Errorf("topic name is %d characters long, the limit is 249", len(t))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("topic name %q has the character %q; only letters, digits, '.', '_' and '-' are allowed", t, c)
		}
	}
	return nil
}

func sortHeaders(h []headerSpec) {
	sort.Slice(h, func(a, b int) bool { return h[a].name < h[b].name })
}
