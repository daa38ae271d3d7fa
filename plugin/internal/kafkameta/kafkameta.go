// Package kafkameta names the metadata kafka_source sets on every message,
// which other components read back: kafka_sink's tombstone convention and
// its exactly-once bookkeeping, the serialize and deserialize processors'
// tombstone pass-through.
package kafkameta

import (
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The metadata keys.
const (
	Key           = "kafka_key"
	Topic         = "kafka_topic"
	Partition     = "kafka_partition"
	Offset        = "kafka_offset"
	TimestampMs   = "kafka_timestamp_ms"
	TimestampUnix = "kafka_timestamp_unix"
	// Tombstone is true on a message read from a record with a null
	// value (a delete on a compacted topic). kafka_sink writes a null
	// value for a message on which it is true (the boolean, or the
	// string "true"), so a compacted topic copies through unchanged.
	Tombstone = "kafka_tombstone_message"
	Lag       = "kafka_lag"
)

// IsTombstone reports whether msg stands for a record with a null value.
func IsTombstone(msg *service.Message) bool {
	v, ok := msg.MetaGetMut(Tombstone)
	if !ok {
		return false
	}
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return t == "true"
	}
	return false
}

// RecordHeaders are a kgo record's headers as serde.Headers, so a codec
// reads and frames them in place: (*RecordHeaders)(&r.Headers).
type RecordHeaders []kgo.RecordHeader

// Get returns the value of the first header named key.
func (h *RecordHeaders) Get(key string) ([]byte, bool) {
	for _, x := range *h {
		if x.Key == key {
			return x.Value, true
		}
	}
	return nil, false
}

// Set replaces every header named key with one holding value, or adds it.
func (h *RecordHeaders) Set(key string, value []byte) {
	out := (*h)[:0]
	set := false
	for _, x := range *h {
		switch {
		case x.Key != key:
			out = append(out, x)
		case !set:
			out = append(out, kgo.RecordHeader{Key: key, Value: value})
			set = true
		}
	}
	if !set {
		out = append(out, kgo.RecordHeader{Key: key, Value: value})
	}
	*h = out
}

// MetaHeaders are a message's metadata as serde.Headers: what a processor
// that encodes or decodes outside a Kafka component hands a codec, since
// kafka_source sets each record header as metadata and kafka_sink writes
// metadata back as headers.
type MetaHeaders struct{ *service.Message }

// Get returns the metadata value named key, as bytes.
func (m MetaHeaders) Get(key string) ([]byte, bool) {
	v, ok := m.MetaGetMut(key)
	if !ok {
		return nil, false
	}
	switch t := v.(type) {
	case []byte:
		return t, true
	case string:
		return []byte(t), true
	case []any: // multi_header: the first value, as the headers' Get
		if len(t) > 0 {
			if s, ok := t[0].(string); ok {
				return []byte(s), true
			}
		}
	}
	return nil, false
}

// Set sets the metadata value named key, as a string (kafka_sink writes
// it as the header's bytes).
func (m MetaHeaders) Set(key string, value []byte) { m.MetaSetMut(key, string(value)) }
