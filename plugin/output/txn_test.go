package output

import (
	"errors"
	"fmt"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
)

func readCommitted(t *testing.T, c *kfake.Cluster, topic string) []string {
	t.Helper()
	var vals []string
	for _, r := range kafkatest.ReadAll(t, c, topic, kgo.FetchIsolationLevel(kgo.ReadCommitted())) {
		vals = append(vals, string(r.Value))
	}
	return vals
}

// With transactions a batch is written whole or not at all: one record
// the broker refuses (too large, no DLQ) fails the batch, and a
// read_committed reader sees none of it, while a batch before and after
// it are seen whole. A record that fails to serialize goes to the DLQ in
// the batch's transaction.
func TestAtomicBatches(t *testing.T) {
	c := kafkatest.Cluster(t,
		kfake.SeedTopics(2, "orders", "orders.dlq"),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerMaxBytes)}),
	)
	plain := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: orders
key: '${! @k }'
max_message_bytes: 1MiB
metadata_min_age: 50ms
transaction: { enabled: true, id: atomic-test }
`, kafkatest.Brokers(c)))
	// Keys over both partitions, so the good records of the failed batch
	// are written (to the partition without the large one) and must be
	// aborted, not merely refused with it.
	good := func(prefix string) service.MessageBatch {
		var b service.MessageBatch
		for i := range 5 {
			b = append(b, msg(fmt.Sprintf("%s-%d", prefix, i), "k", fmt.Sprint("key-", i)))
		}
		return b
	}
	if kafkatest.JavaPartition([]byte("key-3"), 2) == kafkatest.JavaPartition([]byte("key-1"), 2) {
		t.Fatal("the keys do not spread the batch over both partitions")
	}
	if failed, err := write(t, plain, good("first")); err != nil || failed != nil {
		t.Fatalf("first batch: %v %v", err, failed)
	}
	bad := good("bad")
	bad[3] = msg(randomBody(3*brokerMaxBytes), "k", "key-3")
	failed, err := write(t, plain, bad)
	if err == nil || failed != nil {
		t.Fatalf("a batch with a record the broker refuses: error %v, per-record failures %v; want the whole batch failed", err, failed)
	}
	if failed, err := write(t, plain, good("last")); err != nil || failed != nil {
		t.Fatalf("last batch: %v %v", err, failed)
	}
	got := readCommitted(t, c, "orders")
	if len(got) != 10 {
		t.Fatalf("read_committed sees %d records %v, want the first and last batches (10)", len(got), got)
	}
	for _, v := range got {
		if len(v) > 10 {
			t.Fatalf("a record of the failed batch is visible: %.20q", v)
		}
	}
	if tot := plain.ledger.Totals(); tot.Delivered != 10 || tot.Nacked != 5 || tot.Received != 15 {
		t.Errorf("ledger %+v", tot)
	}

	// Dead letters are written in the batch's transaction.
	withDLQ := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: orders
metadata_min_age: 50ms
value_serializer: { type: json }
dlq: { topic: orders.dlq }
transaction: { enabled: true, id: atomic-test-dlq }
`, kafkatest.Brokers(c)))
	if failed, err := write(t, withDLQ, service.MessageBatch{msg(`{"a":1}`), msg(`not json`), msg(`{"a":2}`)}); err != nil || failed != nil {
		t.Fatalf("batch with a dead letter: %v %v", err, failed)
	}
	dead := kafkatest.ReadAll(t, c, "orders.dlq", kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if len(dead) != 1 || string(dead[0].Value) != "not json" || headerMap(dead[0])[dlq.HeaderStage] != "SERIALIZE" {
		t.Fatalf("DLQ holds %d records", len(dead))
	}
	if tot := withDLQ.ledger.Totals(); tot.Delivered != 2 || tot.DeadLettered != 1 {
		t.Errorf("ledger %+v", tot)
	}
	var be *service.BatchError
	if errors.As(err, &be) {
		t.Errorf("a transactional batch failed record by record: %v", err)
	}
}
