package output

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkaconn"
	"github.com/ferry-connect/ferry/internal/serdefield"
)

// sinkConfig is a parsed kafka_sink config. Parsing checks everything a
// config can get wrong on its own, so a bad config fails at start-up with
// the field named, never at the first record.
type sinkConfig struct {
	conn *kafkaconn.Config

	topic       *service.InterpolatedString
	key         *service.InterpolatedString // nil unless `key` is set
	keyPath     []string                    // nil unless `key_field` is set
	keyField    string
	partition   *service.InterpolatedString // set only with partitioner: manual
	partitioner string
	metaFilter  *service.MetadataFilter // nil when no metadata becomes headers
	headers     []headerSpec
	timestampMs *service.InterpolatedString

	keyCodec   serdefield.Named
	valueCodec serdefield.Named

	producerOpts []kgo.Opt
	maxMsgBytes  int32
	// timeout bounds each WriteBatch. It is applied through the produce
	// context rather than kgo.RecordDeliveryTimeout, which measures from
	// the record's timestamp and would fail at once every record given an
	// old timestamp_ms.
	timeout time.Duration

	dlq *dlqConfig // nil without a dead-letter queue
}

type dlqConfig struct {
	topic   *service.InterpolatedString
	headers bool
	opts    []kgo.Opt // producer options, the output's overridden by the dlq block's
}

type headerSpec struct {
	name  string
	value *service.InterpolatedString
}

func parseConfig(conf *service.ParsedConfig) (*sinkConfig, error) {
	c := &sinkConfig{}
	var err error
	if c.conn, err = kafkaconn.Parse(conf); err != nil {
		return nil, err
	}
	if c.topic, err = conf.FieldInterpolatedString(fieldTopic); err != nil {
		return nil, err
	}

	hasKey, hasKeyField := nonEmpty(conf, fieldKey), nonEmpty(conf, fieldKeyField)
	if hasKey && hasKeyField {
		return nil, fmt.Errorf("fields %s and %s are mutually exclusive: set one of them", fieldKey, fieldKeyField)
	}
	if hasKey {
		if c.key, err = conf.FieldInterpolatedString(fieldKey); err != nil {
			return nil, err
		}
	}
	if hasKeyField {
		if c.keyField, err = conf.FieldString(fieldKeyField); err != nil {
			return nil, err
		}
		if c.keyPath, err = parseKeyPath(c.keyField); err != nil {
			return nil, fmt.Errorf("field %s: %w", fieldKeyField, err)
		}
	}

	if c.partitioner, err = conf.FieldString(fieldPartitioner); err != nil {
		return nil, err
	}
	hasPartition := nonEmpty(conf, fieldPartition)
	switch {
	case hasPartition && c.partitioner != partManual:
		return nil, fmt.Errorf("field %s requires %s: %s", fieldPartition, fieldPartitioner, partManual)
	case !hasPartition && c.partitioner == partManual:
		return nil, fmt.Errorf("%s: %s requires field %s", fieldPartitioner, partManual, fieldPartition)
	case hasPartition:
		if c.partition, err = conf.FieldInterpolatedString(fieldPartition); err != nil {
			return nil, err
		}
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
			c.headers = append(c.headers, headerSpec{name: name, value: v})
		}
		// Map order is random; a stable header order makes records
		// reproducible and easy to compare.
		sortHeaders(c.headers)
	}
	if nonEmpty(conf, fieldTimestampMs) {
		if c.timestampMs, err = conf.FieldInterpolatedString(fieldTimestampMs); err != nil {
			return nil, err
		}
	}

	if c.keyCodec, err = serdefield.Parse(conf, fieldKeySerializer, false); err != nil {
		return nil, err
	}
	if c.valueCodec, err = serdefield.Parse(conf, fieldValueSerializer, false); err != nil {
		return nil, err
	}

	if c.producerOpts, err = c.parseProducer(conf); err != nil {
		return nil, err
	}
	if conf.Contains(fieldDLQ) {
		if c.dlq, err = c.parseDLQ(conf.Namespace(fieldDLQ)); err != nil {
			return nil, fmt.Errorf("field %s.%w", fieldDLQ, err)
		}
	}
	return c, nil
}

func (c *sinkConfig) parseDLQ(conf *service.ParsedConfig) (*dlqConfig, error) {
	d := &dlqConfig{}
	var err error
	if d.topic, err = conf.FieldInterpolatedString("topic"); err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	if d.headers, err = conf.FieldBool("error_headers"); err != nil {
		return nil, fmt.Errorf("error_headers: %w", err)
	}
	d.opts = append([]kgo.Opt{}, c.producerOpts...)
	if conf.Contains("acks") {
		acks, _ := conf.FieldString("acks")
		switch acks {
		case "all":
			d.opts = append(d.opts, kgo.RequiredAcks(kgo.AllISRAcks()))
		case "leader", "none":
			// Weaker acks cannot be idempotent.
			a := kgo.LeaderAck()
			if acks == "none" {
				a = kgo.NoAck()
			}
			d.opts = append(d.opts, kgo.RequiredAcks(a), kgo.DisableIdempotentWrite())
		}
	}
	if conf.Contains("max_message_bytes") {
		sizeStr, _ := conf.FieldString("max_message_bytes")
		size, err := parseBytes(sizeStr)
		if err != nil {
			return nil, fmt.Errorf("max_message_bytes: %w", err)
		}
		d.opts = append(d.opts, kgo.ProducerBatchMaxBytes(int32(size)))
	}
	return d, nil
}

// parseProducer turns the producer knobs into franz-go options.
func (c *sinkConfig) parseProducer(conf *service.ParsedConfig) ([]kgo.Opt, error) {
	acks, err := conf.FieldString(fieldAcks)
	if err != nil {
		return nil, err
	}
	idempotent, err := conf.FieldBool(fieldIdempotentWrite)
	if err != nil {
		return nil, err
	}
	var opts []kgo.Opt
	switch acks {
	case "all":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "leader":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "none":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	default:
		return nil, fmt.Errorf("field %s: unknown value %q (want all, leader or none)", fieldAcks, acks)
	}
	if idempotent && acks != "all" {
		return nil, fmt.Errorf("field %s: idempotent_write requires acks: all (got acks: %s); set idempotent_write: false to use weaker acks", fieldIdempotentWrite, acks)
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}

	comp, err := conf.FieldString(fieldCompression)
	if err != nil {
		return nil, err
	}
	codec, ok := map[string]kgo.CompressionCodec{
		"none":   kgo.NoCompression(),
		"gzip":   kgo.GzipCompression(),
		"snappy": kgo.SnappyCompression(),
		"lz4":    kgo.Lz4Compression(),
		"zstd":   kgo.ZstdCompression(),
	}[comp]
	if !ok {
		return nil, fmt.Errorf("field %s: unknown codec %q", fieldCompression, comp)
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec))

	linger, err := conf.FieldDuration(fieldLinger)
	if err != nil {
		return nil, err
	}
	if linger < 0 {
		return nil, fmt.Errorf("field %s: must not be negative", fieldLinger)
	}
	opts = append(opts, kgo.ProducerLinger(linger))

	sizeStr, err := conf.FieldString(fieldMaxMessageBytes)
	if err != nil {
		return nil, err
	}
	size, err := parseBytes(sizeStr)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldMaxMessageBytes, err)
	}
	if size < 512 || size > 1<<30 {
		return nil, fmt.Errorf("field %s: %d bytes is outside the range Kafka accepts (512 B to 1 GiB)", fieldMaxMessageBytes, size)
	}
	c.maxMsgBytes = int32(size)
	opts = append(opts, kgo.ProducerBatchMaxBytes(c.maxMsgBytes))

	buffered, err := conf.FieldInt(fieldMaxBufferedRecords)
	if err != nil {
		return nil, err
	}
	if buffered < 1 {
		return nil, fmt.Errorf("field %s: must be at least 1", fieldMaxBufferedRecords)
	}
	opts = append(opts, kgo.MaxBufferedRecords(buffered))

	timeout, err := conf.FieldDuration(fieldTimeout)
	if err != nil {
		return nil, err
	}
	if timeout < time.Second {
		return nil, fmt.Errorf("field %s: must be at least 1s, got %v", fieldTimeout, timeout)
	}
	c.timeout = timeout
	opts = append(opts, kgo.ProduceRequestTimeout(timeout))

	autoCreate, err := conf.FieldBool(fieldAutoTopicCreation)
	if err != nil {
		return nil, err
	}
	if autoCreate {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}

	switch c.partitioner {
	case partMurmur2Hash, partMurmur2:
		// StickyKeyPartitioner with a nil hasher is the Java client's
		// default: murmur2 for keys, sticky batches for null keys.
		opts = append(opts, kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	case partRoundRobin:
		opts = append(opts, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	case partLeastBackup:
		opts = append(opts, kgo.RecordPartitioner(kgo.LeastBackupPartitioner()))
	case partManual:
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	default:
		return nil, fmt.Errorf("field %s: unknown partitioner %q", fieldPartitioner, c.partitioner)
	}
	return opts, nil
}

// nonEmpty reports whether an optional string field is present and not "".
func nonEmpty(conf *service.ParsedConfig, field string) bool {
	if !conf.Contains(field) {
		return false
	}
	s, err := conf.FieldString(field)
	return err != nil || s != "" // a non-string value is "set": let the typed getter report it
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

var errBadSize = errors.New("want a byte count such as 1000000, 1MB or 1MiB")

// parseBytes reads a byte count with an optional decimal (KB, MB, GB) or
// binary (KiB, MiB, GiB) unit, as Redpanda Connect's size fields do.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"kB", 1000}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: %w", s, errBadSize)
	}
	return int64(n * float64(mult)), nil
}
