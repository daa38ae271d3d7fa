package output

import (
	"fmt"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// saramaPartition is Sarama's default hash partitioner, written from its
// definition rather than with the code under test: FNV-1a over the key
// (offset basis 2166136261, prime 16777619), read as a signed 32-bit
// integer, modulo the partition count, negated when negative.
func saramaPartition(key []byte, n int32) int32 {
	p := int32(saramaPartitionHash(key)) % n
	if p < 0 {
		p = -p
	}
	return p
}

// partitioner: fnv1a_hash puts every key where Sarama (Redpanda Connect's
// kafka output) put it, so a pipeline moved to Ferry keeps each key on its
// partition.
func TestFnv1aPartitionerMatchesSarama(t *testing.T) {
	const parts = 7
	c := kafkatest.Cluster(t, kfake.SeedTopics(parts, "sarama"))
	s := newTestSink(t, fmt.Sprintf("seed_brokers: [ %s ]\ntopic: sarama\nkey: ${! @k }\npartitioner: fnv1a_hash\n", kafkatest.Brokers(c)))
	var batch service.MessageBatch
	for i := range 2000 {
		batch = append(batch, msg(fmt.Sprint(i), "k", fmt.Sprintf("customer-%d", i*7919)))
	}
	if failed, err := write(t, s, batch); err != nil || failed != nil {
		t.Fatalf("write: %v %v", failed, err)
	}
	recs := kafkatest.ReadAll(t, c, "sarama")
	if len(recs) != len(batch) {
		t.Fatalf("read %d records, want %d", len(recs), len(batch))
	}
	negative := 0
	for _, r := range recs {
		if want := saramaPartition(r.Key, parts); r.Partition != want {
			t.Fatalf("key %s is on partition %d, Sarama puts it on %d", r.Key, r.Partition, want)
		}
		if int32(saramaPartitionHash(r.Key)) < 0 {
			negative++
		}
	}
	// Keys whose hash is negative as an int32 are where Sarama and the
	// Java client part ways; the test needs some.
	if negative < len(recs)/4 {
		t.Fatalf("only %d keys with a negative hash", negative)
	}
}

// saramaPartitionHash is FNV-1a, from its definition.
func saramaPartitionHash(key []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}
