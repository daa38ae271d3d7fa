package output

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
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
	}
	return nil, fmt.Errorf("unknown partitioner %q", name)
}

// parseMaxMessageBytes reads max_message_bytes at conf's top level.
func parseMaxMessageBytes(conf *service.ParsedConfig) (int32, error) {
	s, err := conf.FieldString(fieldMaxMessageBytes)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", fieldMaxMessageBytes, err)
	}
	size, err := parseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", fieldMaxMessageBytes, err)
	}
	if size < 512 || size > 1<<30 {
		return 0, fmt.Errorf("field %s: %d bytes is outside the range Kafka accepts (512 B to 1 GiB)", fieldMaxMessageBytes, size)
	}
	return int32(size), nil
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
	return opts
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
