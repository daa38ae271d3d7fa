package output

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// newTestSink builds and connects a kafka_sink from a YAML config body.
func newTestSink(t *testing.T, yaml string) *sink {
	t.Helper()
	pc, err := Spec().ParseYAML(yaml, nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s, err := newSink(pc, service.MockResources())
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// write sends one batch and returns the indexes the sink reported failed
// (nil when the whole batch was delivered) and the per-index errors.
func write(t *testing.T, s *sink, batch service.MessageBatch) (map[int]error, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	idx := batch.Index()
	err := s.WriteBatch(ctx, batch)
	if err == nil {
		return nil, nil
	}
	var be *service.BatchError
	if !errors.As(err, &be) {
		return nil, err
	}
	failed := map[int]error{}
	be.WalkMessagesIndexedBy(idx, func(i int, _ *service.Message, err error) bool {
		if err != nil {
			failed[i] = err
		}
		return true
	})
	return failed, nil
}

func msg(body string, meta ...string) *service.Message {
	m := service.NewMessage([]byte(body))
	for i := 0; i+1 < len(meta); i += 2 {
		m.MetaSetMut(meta[i], meta[i+1])
	}
	return m
}

// murmur2 is an independent transcription of Kafka's Java
// Utils.murmur2, used to check where the sink puts keyed records.
func murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	length := len(data)
	h := seed ^ uint32(length)
	n := length / 4
	for i := 0; i < n; i++ {
		k := uint32(data[i*4]) | uint32(data[i*4+1])<<8 | uint32(data[i*4+2])<<16 | uint32(data[i*4+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n*4:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// javaPartition is Kafka's default partitioner for a non-null key:
// toPositive(murmur2(key)) % numPartitions.
func javaPartition(key []byte, partitions int32) int32 {
	return (murmur2(key) & 0x7fffffff) % partitions
}

func kafkaSASL(user, pass string) []kgo.Opt {
	return []kgo.Opt{kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism())}
}
