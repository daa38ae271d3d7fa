package mock

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fill writes records from..from+n-1 (the numbers as values) to topic's
// 4 partitions in turn, with a plain client.
func (c *cluster) fill(t *testing.T, topic string, from, n int) {
	t.Helper()
	cl := c.client(t, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := from; i < from+n; i++ {
		cl.Produce(context.Background(), &kgo.Record{Value: []byte(fmt.Sprint(i)), Partition: int32(i % 4)}, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Error(err)
			}
		})
	}
	if err := cl.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// committed is what group has committed on topic's partitions, summed.
func (c *cluster) committed(t *testing.T, group, topic string, parts int) int64 {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	for p := range parts {
		rt.Partitions = append(rt.Partitions, int32(p))
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), c.plain(t))
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			if p.Offset > 0 {
				sum += p.Offset
			}
		}
	}
	return sum
}

// kafka_source reads explicit partitions, without a group.
func TestMockSourceExplicitPartitions(t *testing.T) {
	c := newCluster(t, 3, map[string]int{"in": 4})
	c.fill(t, "in", 0, 2000)
	got := consume(t, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  %s
  topics: [ "in:0", "in:2" ]
`, c.brokers(), conn(2)), 1000, 30*time.Second)
	for _, v := range got {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n%4 != 0 && n%4 != 2 {
			t.Fatalf("read %q, from a partition not asked for", v)
		}
	}
	if d, _ := distinct(got); d != 1000 {
		t.Fatalf("%d distinct of %d", d, len(got))
	}
}

// kafka_source in a consumer group reads everything and commits it; a
// second run of the group reads only what was written since.
func TestMockSourceGroupCommits(t *testing.T) {
	c := newCluster(t, 3, map[string]int{"in": 4})
	c.fill(t, "in", 0, 3000)
	input := fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  %s
  topics: [ in ]
  consumer_group: g
  commit_period: 100ms
  session_timeout: 6s
  heartbeat_interval: 500ms
`, c.brokers(), conn(2))
	got := consume(t, input, 3000, time.Minute)
	if d, _ := distinct(got); d != 3000 {
		t.Fatalf("first run: %d distinct of %d", d, len(got))
	}
	if sum := c.committed(t, "g", "in", 4); sum != 3000 {
		t.Fatalf("the group committed %d offsets in all after the first run, want 3000", sum)
	}
	c.fill(t, "in", 3000, 500)
	got = consume(t, input, 500, time.Minute)
	for _, v := range got {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 3000 {
			t.Fatalf("the second run read %q, from before its group's commit", v)
		}
	}
}

// endOffset is the end of partition 0 of topic: how many records a
// one-partition topic holds.
func (c *cluster) endOffset(t *testing.T, topic string) int64 {
	return c.endOffsets(t, topic, 1)
}

// endOffsets is the sum of the ends of topic's partitions 0..parts-1: how
// many records the topic holds.
func (c *cluster) endOffsets(t *testing.T, topic string, parts int) int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Timestamp = -1 // the end
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), c.plain(t))
	if err != nil || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != parts {
		t.Fatalf("end offsets of %s: %v %+v", topic, err, resp)
	}
	var sum int64
	for _, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != 0 {
			t.Fatalf("end offset of %s/%d: %v", topic, p.Partition, kerr.ErrorForCode(p.ErrorCode))
		}
		sum += p.Offset
	}
	return sum
}
