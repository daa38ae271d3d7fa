package output

import (
	"fmt"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

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
		if want := kafkatest.SaramaPartition(r.Key, parts); r.Partition != want {
			t.Fatalf("key %s is on partition %d, Sarama puts it on %d", r.Key, r.Partition, want)
		}
		if int32(kafkatest.FNV1a(r.Key)) < 0 {
			negative++
		}
	}
	// Keys whose hash is negative as an int32 are where Sarama and the
	// Java client part ways; the test needs some.
	if negative < len(recs)/4 {
		t.Fatalf("only %d keys with a negative hash", negative)
	}
}
