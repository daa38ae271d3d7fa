package output

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/interp"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
	"github.com/ferry-connect/ferry/serde"
)

// sinkConfig is a parsed kafka_sink config. Parsing checks everything a
// config can get wrong on its own, so a bad config fails at start-up with
// the field named, never at the first record.
type sinkConfig struct {
	conn     *kafkaconn.Config
	producer producerConfig

	topic       interp.Field
	key         interp.Field // set only with `key`
	keyPath     []string     // nil unless `key_field` is set
	keyField    string
	partition   interp.Field            // set only with partitioner: manual
	metaFilter  *service.MetadataFilter // nil when no metadata becomes headers
	headers     []headerSpec            // sorted by name
	timestampMs interp.Field
	// timestampField names the field timestampMs came from, and
	// timestampUnit its unit (timestamp_ms, or kafka_franz's timestamp in
	// seconds).
	timestampField string
	timestampUnit  time.Duration

	keyCodec   serdefield.Named
	valueCodec serdefield.Named
	// schemaHeaders are the headers the codecs name schemas in (see
	// serde.SchemaHeaderer): only the codecs set them.
	schemaHeaders []string

	dlq *dlqConfig // nil without a dead-letter queue
	txn *txnConfig // nil without transactions
}

type txnConfig struct {
	id           string // "" until Connect derives the default
	commitSource string // a kafka_source label, or ""
	commitPeriod time.Duration
	timeout      time.Duration
}

type dlqConfig struct {
	topic    interp.Field
	headers  bool
	producer producerConfig // the output's, with the dlq block's overrides
}

type headerSpec struct {
	name  string
	value interp.Field
}

func parseConfig(conf *service.ParsedConfig) (*sinkConfig, error) {
	if err := rules.Check(conf); err != nil {
		return nil, err
	}
	c := &sinkConfig{}
	var err error
	if c.conn, err = kafkaconn.Parse(conf); err != nil {
		return nil, err
	}
	if c.producer, err = parseProducer(conf); err != nil {
		return nil, err
	}
	if c.topic, err = interpField(conf, fieldTopic); err != nil {
		return nil, err
	}
	if c.key, err = optionalInterp(conf, fieldKey); err != nil {
		return nil, err
	}
	if c.keyField, err = optionalString(conf, fieldKeyField); err != nil {
		return nil, err
	}
	if c.keyField != "" {
		if c.keyPath, err = parseKeyPath(c.keyField); err != nil {
			return nil, fmt.Errorf("field %s: %w", fieldKeyField, err)
		}
	}
	if c.partition, err = optionalInterp(conf, fieldPartition); err != nil {
		return nil, err
	}
	if conf.Contains(fieldMetadata) {
		if c.metaFilter, err = conf.FieldMetadataFilter(fieldMetadata); err != nil {
			return nil, err
		}
		if c.metaFilter.IsEmpty() {
			c.metaFilter = nil
		}
	}
	if conf.Contains(fieldHeaders) {
		hm, err := conf.FieldInterpolatedStringMap(fieldHeaders)
		if err != nil {
			return nil, err
		}
		for name, v := range hm {
			c.headers = append(c.headers, headerSpec{name: name, value: interp.New(v)})
		}
		// Map order is random; a stable header order makes records
		// reproducible and easy to compare.
		sort.Slice(c.headers, func(a, b int) bool { return c.headers[a].name < c.headers[b].name })
	}
	if c.timestampMs, err = optionalInterp(conf, fieldTimestampMs); err != nil {
		return nil, err
	}
	c.timestampField, c.timestampUnit = fieldTimestampMs, time.Millisecond
	if !c.timestampMs.IsSet() {
		// kafka_franz's deprecated spelling, in seconds.
		if c.timestampMs, err = optionalInterp(conf, fieldTimestamp); err != nil {
			return nil, err
		}
		c.timestampField, c.timestampUnit = fieldTimestamp, time.Second
	}
	if c.keyCodec, err = serdefield.Parse(conf, fieldKeySerializer, serdefield.Encode); err != nil {
		return nil, err
	}
	if c.valueCodec, err = serdefield.Parse(conf, fieldValueSerializer, serdefield.Encode); err != nil {
		return nil, err
	}
	if h, ok := c.keyCodec.Codec.(serde.SchemaHeaderer); ok {
		c.schemaHeaders = append(c.schemaHeaders, h.SchemaHeader(true))
	}
	if h, ok := c.valueCodec.Codec.(serde.SchemaHeaderer); ok {
		c.schemaHeaders = append(c.schemaHeaders, h.SchemaHeader(false))
	}
	if conf.Contains(fieldDLQ) {
		if c.dlq, err = parseDLQ(conf.Namespace(fieldDLQ), c.producer); err != nil {
			return nil, err
		}
	}
	if conf.Contains(fieldTransaction) {
		if c.txn, err = parseTxn(conf.Namespace(fieldTransaction)); err != nil {
			return nil, fmt.Errorf("field %s.%w", fieldTransaction, err)
		}
	}
	return c, nil
}

// parseTxn reads the transaction block; nil when transactions are off.
func parseTxn(conf *service.ParsedConfig) (*txnConfig, error) {
	on, err := conf.FieldBool("enabled")
	if err != nil {
		return nil, fmt.Errorf("enabled: %w", err)
	}
	if !on {
		return nil, nil
	}
	t := &txnConfig{}
	if t.id, err = conf.FieldString("id"); err != nil {
		return nil, fmt.Errorf("id: %w", err)
	}
	if t.commitSource, err = conf.FieldString("commit_source"); err != nil {
		return nil, fmt.Errorf("commit_source: %w", err)
	}
	if t.commitPeriod, err = conf.FieldDuration("commit_period"); err != nil {
		return nil, fmt.Errorf("commit_period: %w", err)
	}
	if t.commitPeriod <= 0 {
		return nil, fmt.Errorf("commit_period: must be positive, got %v", t.commitPeriod)
	}
	if t.timeout, err = conf.FieldDuration("timeout"); err != nil {
		return nil, fmt.Errorf("timeout: %w", err)
	}
	if t.timeout < time.Second {
		return nil, fmt.Errorf("timeout: must be at least 1s, got %v", t.timeout)
	}
	return t, nil
}

// parseDLQ reads the dlq block; its acks and max_message_bytes override
// the output's.
func parseDLQ(conf *service.ParsedConfig, main producerConfig) (*dlqConfig, error) {
	d := &dlqConfig{producer: main}
	topic, err := conf.FieldInterpolatedString("topic")
	if err != nil {
		return nil, fmt.Errorf("field %s.topic: %w", fieldDLQ, err)
	}
	d.topic = interp.New(topic)
	if d.headers, err = conf.FieldBool("error_headers"); err != nil {
		return nil, fmt.Errorf("field %s.error_headers: %w", fieldDLQ, err)
	}
	if conf.Contains(fieldAcks) {
		if d.producer.acks, err = conf.FieldString(fieldAcks); err != nil {
			return nil, fmt.Errorf("field %s.%s: %w", fieldDLQ, fieldAcks, err)
		}
		// Weaker acks cannot be idempotent.
		d.producer.idempotent = d.producer.acks == "all"
	}
	if conf.Contains(fieldMaxMessageBytes) {
		if d.producer.maxMessageBytes, err = parseMaxMessageBytes(conf); err != nil {
			return nil, fmt.Errorf("in %s: %w", fieldDLQ, err)
		}
		if d.producer.maxMessageBytes > main.brokerWriteMax {
			return nil, fmt.Errorf("field %s.%s: %d bytes is more than %s, %d: a dead letter of that size could not be sent", fieldDLQ, fieldMaxMessageBytes, d.producer.maxMessageBytes, fieldBrokerWriteMax, main.brokerWriteMax)
		}
	}
	return d, nil
}

// interpField reads a required interpolated field.
func interpField(conf *service.ParsedConfig, field string) (interp.Field, error) {
	f, err := conf.FieldInterpolatedString(field)
	if err != nil {
		return interp.Field{}, fmt.Errorf("field %s: %w", field, err)
	}
	return interp.New(f), nil
}

// optionalInterp reads an optional interpolated field; absent or "" is
// not set.
func optionalInterp(conf *service.ParsedConfig, field string) (interp.Field, error) {
	s, err := optionalString(conf, field)
	if err != nil || s == "" {
		return interp.Field{}, err
	}
	return interpField(conf, field)
}

// optionalString reads an optional string field; absent is "".
func optionalString(conf *service.ParsedConfig, field string) (string, error) {
	if !conf.Contains(field) {
		return "", nil
	}
	s, err := conf.FieldString(field)
	if err != nil {
		return "", fmt.Errorf("field %s: %w", field, err)
	}
	return s, nil
}

// parseKeyPath splits a dotted key_field path. Empty segments (a.b..c, a
// leading or trailing dot) are refused rather than guessed at.
func parseKeyPath(p string) ([]string, error) {
	parts := strings.Split(p, ".")
	for i, s := range parts {
		if s == "" {
			return nil, fmt.Errorf("path %q has an empty segment at position %d", p, i)
		}
	}
	return parts, nil
}
