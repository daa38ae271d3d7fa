package output

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/bytesize"
)

// producerConfig is the producer's settings as plain values. Parsing reads
// and checks them; opts turns them into franz-go options and does nothing
// else, so a copy with a few fields overridden (the dlq block's) gives the
// options of another client.
type producerConfig struct {
	acks            string
	idempotent      bool
	compression     kgo.CompressionCodec
	linger          time.Duration
	maxMessageBytes int32
	maxBuffered     int
	// timeout bounds each WriteBatch. It is applied through the produce
	// context rather than kgo.RecordDeliveryTimeout, which measures from
	// the record's timestamp and would fail at once every record given an
	// old timestamp_ms.
	timeout     time.Duration
	autoCreate  bool
	partitioner kgo.Partitioner

	// Limits kafka_franz exposes; zero means franz-go's default.
	maxBufferedBytes int
	brokerWriteMax   int32
	inflightRequests int
	recordRetries    int
	deliveryTimeout  time.Duration // folded into timeout
}

var compressionCodecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

func parseProducer(conf *service.ParsedConfig) (producerConfig, error) {
	var p producerConfig
	var err error
	wrap := func(field string, err error) error { return fmt.Errorf("field %s: %w", field, err) }
	if p.acks, err = conf.FieldString(fieldAcks); err != nil {
		return p, wrap(fieldAcks, err)
	}
	switch p.acks {
	case "all", "leader", "none":
	default:
		return p, wrap(fieldAcks, fmt.Errorf("unknown value %q (want all, leader or none)", p.acks))
	}
	if p.idempotent, err = conf.FieldBool(fieldIdempotentWrite); err != nil {
		return p, wrap(fieldIdempotentWrite, err)
	}
	comp, err := conf.FieldString(fieldCompression)
	if err != nil {
		return p, wrap(fieldCompression, err)
	}
	var ok bool
	if p.compression, ok = compressionCodecs[comp]; !ok {
		return p, wrap(fieldCompression, fmt.Errorf("unknown codec %q", comp))
	}
	if p.linger, err = conf.FieldDuration(fieldLinger); err != nil {
		return p, wrap(fieldLinger, err)
	}
	if p.linger < 0 {
		return p, wrap(fieldLinger, errors.New("must not be negative"))
	}
	if p.maxMessageBytes, err = parseMaxMessageBytes(conf); err != nil {
		return p, err
	}
	if p.maxBuffered, err = conf.FieldInt(fieldMaxBufferedRecords); err != nil {
		return p, wrap(fieldMaxBufferedRecords, err)
	}
	if p.maxBuffered < 1 {
		return p, wrap(fieldMaxBufferedRecords, errors.New("must be at least 1"))
	}
	if p.timeout, err = conf.FieldDuration(fieldTimeout); err != nil {
		return p, wrap(fieldTimeout, err)
	}
	if p.timeout < time.Second {
		return p, wrap(fieldTimeout, fmt.Errorf("must be at least 1s, got %v", p.timeout))
	}
	if err := p.parseLimits(conf); err != nil {
		return p, err
	}
	if p.brokerWriteMax < p.maxMessageBytes {
		return p, fmt.Errorf("field %s: %d bytes is less than %s, %d: a batch could not be sent", fieldBrokerWriteMax, p.brokerWriteMax, fieldMaxMessageBytes, p.maxMessageBytes)
	}
	if p.autoCreate, err = conf.FieldBool(fieldAutoTopicCreation); err != nil {
		return p, wrap(fieldAutoTopicCreation, err)
	}
	part, err := conf.FieldString(fieldPartitioner)
	if err != nil {
		return p, wrap(fieldPartitioner, err)
	}
	if p.partitioner, err = partitioner(part); err != nil {
		return p, wrap(fieldPartitioner, err)
	}
	return p, nil
}

func partitioner(name string) (kgo.Partitioner, error) {
	switch name {
	case partMurmur2Hash, partMurmur2:
		// StickyKeyPartitioner with a nil hasher is the Java client's
		// default: murmur2 for keys, sticky batches for null keys.
		return kgo.StickyKeyPartitioner(nil), nil
	case partRoundRobin:
		return kgo.RoundRobinPartitioner(), nil
	case partLeastBackup:
		return kgo.LeastBackupPartitioner(), nil
	case partManual:
		return kgo.ManualPartitioner(), nil
	case partFnv1aHash:
		return kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv1a)), nil
	case partRandom:
		return randomPartitioner{}, nil
	}
	return nil, fmt.Errorf("unknown partitioner %q", name)
}

// parseMaxMessageBytes reads max_message_bytes at conf's top level.
func parseMaxMessageBytes(conf *service.ParsedConfig) (int32, error) {
	n, err := bytesize.Field(conf, fieldMaxMessageBytes, 512, 1<<30)
	return int32(n), err
}

// parseLimits reads the buffering, request and retry limits.
func (p *producerConfig) parseLimits(conf *service.ParsedConfig) error {
	n, err := bytesize.Field(conf, fieldMaxBufferedBytes, 0, math.MaxInt32)
	if err != nil {
		return err
	}
	p.maxBufferedBytes = int(n)
	if n, err = bytesize.Field(conf, fieldBrokerWriteMax, 1<<10, 1<<30); err != nil {
		return err
	}
	p.brokerWriteMax = int32(n)
	wrap := func(field string, err error) error { return fmt.Errorf("field %s: %w", field, err) }
	if p.inflightRequests, err = conf.FieldInt(fieldMaxInFlightReqs); err != nil {
		return wrap(fieldMaxInFlightReqs, err)
	}
	if p.inflightRequests < 1 {
		return wrap(fieldMaxInFlightReqs, errors.New("must be at least 1"))
	}
	if p.recordRetries, err = conf.FieldInt(fieldRecordRetries); err != nil {
		return wrap(fieldRecordRetries, err)
	}
	if p.recordRetries < 0 {
		return wrap(fieldRecordRetries, errors.New("must not be negative"))
	}
	if p.deliveryTimeout, err = conf.FieldDuration(fieldDeliveryTimeout); err != nil {
		return wrap(fieldDeliveryTimeout, err)
	}
	if p.deliveryTimeout < 0 || p.deliveryTimeout > 0 && p.deliveryTimeout < time.Second {
		return wrap(fieldDeliveryTimeout, fmt.Errorf("must be 0s or at least 1s, got %v", p.deliveryTimeout))
	}
	if p.deliveryTimeout > 0 && p.deliveryTimeout < p.timeout {
		// Kafka's delivery.timeout.ms bounds a record from the moment it
		// is sent; so does timeout. (franz-go's RecordDeliveryTimeout
		// counts from the record's timestamp, which would fail at once
		// any record carrying an old one.)
		p.timeout = p.deliveryTimeout
	}
	return nil
}

// opts are the franz-go options for a producer with these settings.
func (p producerConfig) opts() []kgo.Opt {
	acks := map[string]kgo.Acks{"all": kgo.AllISRAcks(), "leader": kgo.LeaderAck(), "none": kgo.NoAck()}[p.acks]
	opts := []kgo.Opt{
		kgo.RequiredAcks(acks),
		kgo.ProducerBatchCompression(p.compression),
		kgo.ProducerLinger(p.linger),
		kgo.ProducerBatchMaxBytes(p.maxMessageBytes),
		kgo.MaxBufferedRecords(p.maxBuffered),
		kgo.ProduceRequestTimeout(p.timeout),
		kgo.RecordPartitioner(p.partitioner),
	}
	if !p.idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if p.autoCreate {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	return append(opts, p.limitOpts()...)
}

// limitOpts are the options of the limits that are set.
func (p producerConfig) limitOpts() []kgo.Opt {
	var opts []kgo.Opt
	if p.maxBufferedBytes > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(p.maxBufferedBytes))
	}
	if p.brokerWriteMax > 0 {
		opts = append(opts, kgo.BrokerMaxWriteBytes(p.brokerWriteMax))
	}
	if p.inflightRequests > 1 && !p.idempotent {
		opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(p.inflightRequests))
	}
	if p.recordRetries > 0 {
		opts = append(opts, kgo.RecordRetries(p.recordRetries))
	}
	return opts
}
