package input

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

func testSource(t *testing.T, yaml string) *source {
	t.Helper()
	conf, err := Spec().ParseYAML(yaml, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSource(conf, service.MockResources())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func fill(t *testing.T, c *kfake.Cluster, topic string, partition int32, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// 100 records per produce request: one record batch each, so a
	// small fetch_max_partition_bytes fetches one batch at a time.
	for from := 0; from < n; from += 100 {
		var recs []*kgo.Record
		for i := from; i < min(from+100, n); i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: partition, Value: []byte(strconv.Itoa(i))})
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// readUntilBlocked reads batches without acknowledging them until the
// input has nothing more to give within wait.
func readUntilBlocked(t *testing.T, s *source, wait time.Duration) (n int, acks []service.AckFunc) {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		b, ack, err := s.ReadBatch(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return n, acks
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(b)
		acks = append(acks, ack)
	}
}

// A partition never has more than checkpoint_limit records in the
// pipeline unacknowledged: a fetch of 500 records is handed over 40 at a
// time, each 40 only once the previous are acknowledged.
func TestCheckpointLimitBoundsInFlight(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	fill(t, c, "t", 0, 500)
	s := testSource(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topics: [ t ]
checkpoint_limit: 40
fetch_max_wait: 100ms
`, kafkatest.Brokers(c)))
	total := 0
	for round := 0; total < 500; round++ {
		n, acks := readUntilBlocked(t, s, 300*time.Millisecond)
		if want := min(40, 500-total); n != want {
			t.Fatalf("round %d: %d records handed over unacknowledged, want %d", round, n, want)
		}
		total += n
		for _, ack := range acks {
			if err := ack(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A busy partition next to partitions that have run dry keeps flowing at
// the checkpoint limit. (When the limit paused the partition in the
// client, the next fetch went out for the dry partitions alone and
// long-polled them for fetch_max_wait, 30 s here, before the busy one was
// fetched again: this test stalled after 2,300 records.)
func TestBusyPartitionBesideIdleOnes(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "t"))
	fill(t, c, "t", 0, 3000)
	for p := int32(1); p < 6; p++ {
		fill(t, c, "t", p, 100)
	}
	s := testSource(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topics: [ t ]
consumer_group: g
checkpoint_limit: 100
fetch_max_wait: 30s
fetch_max_partition_bytes: 1000
`, kafkatest.Brokers(c)))
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	next := make([]int, 6) // per partition, the next value expected
	for total := 0; total < 3500; {
		b, ack, err := s.ReadBatch(ctx)
		if err != nil {
			t.Fatalf("after %d records: %v", total, err)
		}
		for _, m := range b {
			v, _ := m.AsBytes()
			p, _ := m.MetaGetMut("kafka_partition")
			if string(v) != strconv.Itoa(next[p.(int)]) {
				t.Fatalf("partition %d: record %q, want %d", p, v, next[p.(int)])
			}
			next[p.(int)]++
			total++
		}
		if err := ack(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
}
