package output

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// 100,000 records through a pipeline while the broker answers produce
// requests with NOT_LEADER_FOR_PARTITION, with REQUEST_TIMED_OUT after
// writing the batch (the case that duplicates without idempotence), and
// drops connections mid-request. Every record must be in the topic
// exactly once, and the ledger must say so.
func TestRetriableFaultsExactlyOnce(t *testing.T) {
	const total = 100_000
	c := kafkatest.Cluster(t, kfake.NumBrokers(3), kfake.SeedTopics(6, "orders"))

	var produces atomic.Int64
	every := func(mod, rem int64) func(kmsg.Request) bool {
		return func(kmsg.Request) bool { return produces.Load()%mod == rem }
	}
	// The counter advances on every produce request; each fault fires on
	// its own residue, so faults are spread over the whole run.
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if produces.Add(1)%29 == 11 {
			return nil, errors.New("test: connection dropped"), true
		}
		return nil, nil, false
	})
	h := c.Fault(
		kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: -1, When: every(23, 5)},
		kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.RequestTimedOut, Count: -1, When: every(19, 7)},
	)
	defer h.Remove()

	env, metrics := kafkatest.NewEnvWithMetrics()
	kafkatest.RunStream(t, env, fmt.Sprintf(`
input:
  generate:
    count: %d
    interval: ""
    batch_size: 1000
    mapping: |
      root = "%%07d".format(counter())
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: orders
    key: '${! content() }'
    metadata_min_age: 50ms
    max_in_flight: 8
    dlq:
      topic: orders.dlq
metrics:
  capture: {}
logger:
  level: warn
`, total, kafkatest.Brokers(c)), 5*time.Minute)

	hits := h.Hits()
	if hits == 0 || produces.Load() < 50 {
		t.Fatalf("faults did not fire: %d fault hits over %d produce requests", hits, produces.Load())
	}
	recs := kafkatest.ReadAll(t, c, "orders")
	seen := make(map[string]int, total)
	for _, r := range recs {
		seen[string(r.Value)]++
	}
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	if len(recs) != total || len(seen) != total || dups != 0 {
		t.Fatalf("topic has %d records, %d distinct, %d duplicated; want %d once each", len(recs), len(seen), dups, total)
	}
	delivered := metrics.Get(`kafka_sink_records{outcome="delivered"}`)
	nacked := metrics.Get(`kafka_sink_records{outcome="nacked"}`)
	if delivered != total {
		t.Errorf("delivered counter %d, want %d\n%s", delivered, total, metrics.Dump("kafka_sink"))
	}
	// Retriable faults are the cluster's, never a record's: nothing may
	// reach the dead-letter topic.
	if d := metrics.Get(`kafka_sink_records{outcome="dead_lettered"}`); d != 0 {
		t.Errorf("%d records dead-lettered by retriable faults", d)
	}
	if recs, err := kafkatest.Read(context.Background(), c.ListenAddrs(), "orders.dlq"); err == nil && len(recs) > 0 {
		t.Errorf("the DLQ holds %d records after retriable faults", len(recs))
	}
	t.Logf("%d produce requests, %d broker faults, %d records nacked and retried by the pipeline", produces.Load(), hits, nacked)
}

// A cluster that goes away: the write reports service.ErrNotConnected (so
// the host reconnects) rather than a per-record error, and Connect fails
// with the address until the cluster is back.
func TestUnreachableClusterIsNotConnected(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: t
timeout: 2s
dial_timeout: 500ms
`, kafkatest.Brokers(c)))
	if failed, err := write(t, s, service.MessageBatch{msg("before")}); err != nil || failed != nil {
		t.Fatalf("first write: %v %v", err, failed)
	}
	c.Close()
	start := time.Now()
	_, err := write(t, s, service.MessageBatch{msg("a"), msg("b")})
	if !errors.Is(err, service.ErrNotConnected) {
		t.Fatalf("write to a closed cluster: %v, want ErrNotConnected", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v to notice", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = s.Connect(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot reach Kafka at") {
		t.Fatalf("connect to a closed cluster: %v", err)
	}
	if tot := s.ledger.Totals(); tot.Nacked != 2 || tot.Delivered != 1 {
		t.Errorf("ledger %+v", tot)
	}
}
