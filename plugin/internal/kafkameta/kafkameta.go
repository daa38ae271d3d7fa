// Package kafkameta names the metadata kafka_source sets on every message,
// which other components read back: kafka_sink's tombstone convention and
// its exactly-once bookkeeping, the serialize and deserialize processors'
// tombstone pass-through.
package kafkameta

import "github.com/redpanda-data/benthos/v4/public/service"

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
