// Package dlq is Ferry's one dead-letter path, shared by kafka_sink's
// `dlq` and kafka_source's `on_deserialize_error: dlq`: the dead-letter
// record and its headers (Kafka Connect's error context, so tools built
// for Connect's DLQs read Ferry's too), the checks on its topic, the
// fallback for a dead letter too large for its topic, and which failed
// writes are worth retrying.
package dlq

import (
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/failure"
)

// Kafka Connect's error context headers.
const (
	HeaderTopic          = "__connect.errors.topic"
	HeaderPartition      = "__connect.errors.partition"
	HeaderOffset         = "__connect.errors.offset"
	HeaderStage          = "__connect.errors.stage"
	HeaderClassName      = "__connect.errors.class.name"
	HeaderExceptionClass = "__connect.errors.exception.class.name"
	HeaderExceptionMsg   = "__connect.errors.exception.message"
	HeaderConnectorName  = "__connect.errors.connector.name"
)

// Ferry's own headers.
const (
	// HeaderReason is Ferry's short reason for a dead letter, the same
	// as the `reason` label of the component's errors counter (e.g.
	// value_serializer, message_too_large, serde.json).
	HeaderReason = "__ferry.errors.reason"
	// HeaderValueDropped marks a dead letter whose value was dropped
	// because the record was too large even for the dead-letter topic.
	// Its value is the size of the dropped value in bytes.
	HeaderValueDropped = "__ferry.dlq.value_dropped_bytes"
)

// Failure is what went wrong with one record, and where it came from.
type Failure struct {
	Topic     string // the record's original topic
	Partition int32  // -1 when unknown (a record that never reached Kafka)
	Offset    int64  // -1 when unknown
	Stage     failure.Stage
	Reason    failure.Reason
	ClassName string // what failed: the codec or component, e.g. "serde.avro_confluent"
	Err       error
	Connector string // ConnectorName of the component
}

// Headers returns the error context headers for f.
func Headers(f Failure) []kgo.RecordHeader {
	h := []kgo.RecordHeader{
		{Key: HeaderTopic, Value: []byte(f.Topic)},
	}
	if f.Partition >= 0 {
		h = append(h, kgo.RecordHeader{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(f.Partition)))})
	}
	if f.Offset >= 0 {
		h = append(h, kgo.RecordHeader{Key: HeaderOffset, Value: []byte(strconv.FormatInt(f.Offset, 10))})
	}
	msg := ""
	if f.Err != nil {
		msg = f.Err.Error()
	}
	class := ExceptionClass(f.Reason)
	return append(h,
		kgo.RecordHeader{Key: HeaderStage, Value: []byte(f.Stage)},
		kgo.RecordHeader{Key: HeaderClassName, Value: []byte(f.ClassName)},
		kgo.RecordHeader{Key: HeaderExceptionClass, Value: []byte(class)},
		kgo.RecordHeader{Key: HeaderExceptionMsg, Value: []byte(msg)},
		kgo.RecordHeader{Key: HeaderConnectorName, Value: []byte(f.Connector)},
		kgo.RecordHeader{Key: HeaderReason, Value: []byte(f.Reason)},
	)
}

// ConnectorName is what `__connect.errors.connector.name` holds for a
// component: its label, or, without one, its path in the config (for
// example root.output).
func ConnectorName(label string, path []string) string {
	if label != "" {
		return label
	}
	return strings.Join(path, ".")
}

// The exception class names of the `__connect.errors.exception.class.name`
// header: the Java exception Kafka or Kafka Connect raises for the same
// kind of failure, so tools that sort a DLQ by it do the same for Ferry's.
const (
	ClassSerialization  = "org.apache.kafka.common.errors.SerializationException"
	ClassRecordTooLarge = "org.apache.kafka.common.errors.RecordTooLargeException"
	ClassInvalidTopic   = "org.apache.kafka.common.errors.InvalidTopicException"
	ClassInvalidRecord  = "org.apache.kafka.common.errors.InvalidRecordException"
	ClassCorruptRecord  = "org.apache.kafka.common.errors.CorruptRecordException"
	ClassData           = "org.apache.kafka.connect.errors.DataException"
	ClassKafka          = "org.apache.kafka.common.KafkaException"
)

// ExceptionClass is the stable class name for a failure's reason.
func ExceptionClass(reason failure.Reason) string {
	switch reason {
	case failure.KeySerializer, failure.ValueSerializer:
		return ClassSerialization
	case failure.KeyField, failure.Interpolation, failure.InvalidPartition, failure.InvalidTimestamp:
		return ClassData
	case failure.InvalidTopic, "invalid_topic_exception":
		return ClassInvalidTopic
	case "message_too_large", "record_list_too_large":
		return ClassRecordTooLarge
	case "invalid_record":
		return ClassInvalidRecord
	case "corrupt_message":
		return ClassCorruptRecord
	}
	if strings.HasPrefix(string(reason), "serde.") { // a codec that did not decode
		return ClassSerialization
	}
	return ClassKafka
}

// Letter builds the dead letter for an original record: the same key,
// value, headers and timestamp, plus (unless withHeaders is false) the
// error context headers.
func Letter(topic string, orig *kgo.Record, f Failure, withHeaders bool) *kgo.Record {
	r := &kgo.Record{
		Topic:     topic,
		Key:       orig.Key,
		Value:     orig.Value,
		Timestamp: orig.Timestamp,
	}
	if !withHeaders {
		r.Headers = orig.Headers
		return r
	}
	r.Headers = make([]kgo.RecordHeader, 0, len(orig.Headers)+9)
	r.Headers = append(r.Headers, orig.Headers...)
	r.Headers = append(r.Headers, Headers(f)...)
	return r
}
