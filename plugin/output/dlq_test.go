package output

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
)

const dlqSchema = `{"type":"record","name":"Item","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"qty","type":"int"},{"name":"blob","type":"string"}]}`

func createTopic(t *testing.T, c *kfake.Cluster, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
}

func headerMap(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, hd := range r.Headers {
		h[hd.Key] = string(hd.Value)
	}
	return h
}

// 10,000 records: 10% do not fit the Avro schema, 1% are larger than the
// broker's message.max.bytes. The main topic holds exactly the good ones
// once each, the DLQ exactly the bad ones with their headers, the counters
// agree with both topics, and nothing is nacked.
func TestDLQ10k(t *testing.T) {
	const total = 10000
	c := kafkatest.Cluster(t,
		kfake.SeedTopics(3, "orders"),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerMaxBytes)}),
	)
	big := "10000000"
	createTopic(t, c, "orders.dlq", 1, map[string]*string{"max.message.bytes": &big})

	env, metrics := kafkatest.NewEnvWithMetrics()
	start := time.Now()
	kafkatest.RunStream(t, env, fmt.Sprintf(`
input:
  generate:
    count: %d
    interval: ""
    batch_size: 500
    mapping: |
      let n = counter()
      root.id = $n
      root.name = "item-%%d".format($n)
      root.qty = if $n %% 10 == 3 { "three" } else { $n %% 50 }
      root.blob = if $n %% 100 == 7 { range(0, %d).map_each(_ -> uuid_v4()).join("") } else { "" }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: orders
    key_field: id
    metadata_min_age: 50ms
    value_serializer:
      type: avro
      schema: '%s'
    dlq:
      topic: orders.dlq
    batching:
      count: 250
metrics:
  capture: {}
logger:
  level: warn
`, total, brokerMaxBytes/10, kafkatest.Brokers(c), dlqSchema), 3*time.Minute)
	elapsed := time.Since(start)

	main := kafkatest.ReadAll(t, c, "orders")
	dead := kafkatest.ReadAll(t, c, "orders.dlq")
	isBadSerialize := func(n int) bool { return n%10 == 3 }
	isTooLarge := func(n int) bool { return n%100 == 7 }

	seen := map[string]int{}
	for _, r := range main {
		seen[string(r.Key)]++
	}
	wantGood := 0
	for n := 1; n <= total; n++ {
		k := fmt.Sprint(n)
		bad := isBadSerialize(n) || isTooLarge(n)
		if !bad {
			wantGood++
		}
		if bad && seen[k] != 0 || !bad && seen[k] != 1 {
			t.Fatalf("record %d is in the main topic %d times (bad: %v)", n, seen[k], bad)
		}
	}
	if len(main) != wantGood {
		t.Fatalf("main topic has %d records, want %d", len(main), wantGood)
	}

	stages := map[string]int{}
	deadSeen := map[int]bool{}
	for _, r := range dead {
		var v struct {
			ID int `json:"id"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("dead letter value is not the raw JSON message: %q", r.Value)
		}
		h := headerMap(r)
		if string(r.Key) != fmt.Sprint(v.ID) || h[dlq.HeaderTopic] != "orders" || h[dlq.HeaderConnectorName] != "output" {
			t.Fatalf("dead letter %d key %q headers %v", v.ID, r.Key, h)
		}
		switch {
		case isBadSerialize(v.ID):
			if h[dlq.HeaderStage] != "SERIALIZE" || h[dlq.HeaderClassName] != "serde.avro" || h[dlq.HeaderExceptionClass] != dlq.ClassSerialization || !strings.Contains(h[dlq.HeaderExceptionMsg], "at .qty: expected int, got a string") || h[dlq.HeaderReason] != "value_serializer" {
				t.Fatalf("serialization dead letter %d headers %v", v.ID, h)
			}
		case isTooLarge(v.ID):
			if h[dlq.HeaderStage] != "PRODUCE" || !strings.Contains(h[dlq.HeaderExceptionMsg], "MESSAGE_TOO_LARGE") || h[dlq.HeaderExceptionClass] != dlq.ClassRecordTooLarge || h[dlq.HeaderReason] != "message_too_large" {
				t.Fatalf("too-large dead letter %d headers %v", v.ID, h)
			}
		default:
			t.Fatalf("good record %d in the DLQ", v.ID)
		}
		if deadSeen[v.ID] {
			t.Fatalf("record %d dead-lettered twice", v.ID)
		}
		deadSeen[v.ID] = true
		stages[h[dlq.HeaderStage]]++
	}
	if stages["SERIALIZE"] != 1000 || stages["PRODUCE"] != 100 || len(dead) != 1100 {
		t.Fatalf("DLQ holds %d records by stage %v; want 1000 SERIALIZE and 100 PRODUCE", len(dead), stages)
	}

	for key, want := range map[string]int64{
		`kafka_sink_records{outcome="delivered"}`:                        int64(len(main)),
		`kafka_sink_records{outcome="dead_lettered"}`:                    int64(len(dead)),
		`kafka_sink_records{outcome="nacked"}`:                           0,
		`kafka_sink_errors{stage="SERIALIZE",reason="value_serializer"}`: 1000,
		`kafka_sink_errors{stage="PRODUCE",reason="message_too_large"}`:  100,
		`kafka_sink_errors{stage="DLQ"}`:                                 0,
	} {
		if got := metrics.Get(key); got != want {
			t.Errorf("%s = %d, want %d\n%s", key, got, want, metrics.Dump("kafka_sink"))
		}
	}
	t.Logf("10,000 records in %v: %d delivered, %d dead-lettered (%v), 0 nacked", elapsed.Round(time.Millisecond), len(main), len(dead), stages)
}

// A DLQ that cannot be written (authorization failure): the bad records
// are nacked, not lost, and once the DLQ is writable again the pipeline's
// retries put each of them there once.
func TestDLQUnwritableRecovers(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(2, "orders", "orders.dlq"))
	var refused atomic.Int64
	h := c.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: "orders.dlq", Err: kerr.TopicAuthorizationFailed, Count: -1,
		When: func(kmsg.Request) bool { refused.Add(1); return true },
	})
	env, metrics := kafkatest.NewEnvWithMetrics()
	done := make(chan struct{})
	go func() {
		defer close(done)
		kafkatest.RunStream(t, env, fmt.Sprintf(`
input:
  generate:
    count: 200
    interval: ""
    batch_size: 50
    mapping: |
      let n = counter()
      root = if $n %% 10 == 0 { "not json %%d".format($n) } else { {"n": $n} }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: orders
    value_serializer:
      type: json
    dlq:
      topic: orders.dlq
metrics:
  capture: {}
logger:
  level: error
`, kafkatest.Brokers(c)), 2*time.Minute)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for metrics.Get(`kafka_sink_records{outcome="nacked"}`) < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("records were not nacked while the DLQ refused writes\n%s", metrics.Dump("kafka_sink"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if e := metrics.Get(`kafka_sink_errors{stage="DLQ",reason="topic_authorization_failed"}`); e == 0 {
		t.Errorf("DLQ write failures not counted\n%s", metrics.Dump("kafka_sink"))
	}
	h.Remove()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the pipeline did not finish after the DLQ became writable")
	}
	main := kafkatest.ReadAll(t, c, "orders")
	dead := kafkatest.ReadAll(t, c, "orders.dlq")
	deadIDs := map[string]int{}
	for _, r := range dead {
		deadIDs[string(r.Value)]++
	}
	if len(main) != 180 || len(dead) != 20 || len(deadIDs) != 20 {
		t.Fatalf("main %d (want 180), DLQ %d with %d distinct (want 20)", len(main), len(dead), len(deadIDs))
	}
	if d := metrics.Get(`kafka_sink_records{outcome="dead_lettered"}`); d != 20 {
		t.Errorf("dead_lettered %d", d)
	}
	t.Logf("the DLQ refused %d produce requests; %d record attempts nacked meanwhile", refused.Load(), metrics.Get(`kafka_sink_records{outcome="nacked"}`))
}

// A dead letter too large even for the DLQ keeps its key, headers and
// timestamp; its value is dropped and the dropped size recorded.
func TestDLQTooLargeDropsValue(t *testing.T) {
	c := kafkatest.Cluster(t,
		kfake.SeedTopics(1, "orders", "orders.dlq"),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerMaxBytes)}),
	)
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: orders
key: '${! @k }'
metadata:
  include_prefixes: [ "h_" ]
dlq:
  topic: orders.dlq
`, kafkatest.Brokers(c)))
	big := randomBody(3 * brokerMaxBytes)
	failed, err := write(t, s, service.MessageBatch{msg("small"), msg(big, "k", "the-key", "h_trace", "abc")})
	if err != nil || failed != nil {
		t.Fatalf("write: %v %v", err, failed)
	}
	dead := kafkatest.ReadAll(t, c, "orders.dlq")
	if len(dead) != 1 {
		t.Fatalf("DLQ holds %d records", len(dead))
	}
	h := headerMap(dead[0])
	if dead[0].Value != nil || string(dead[0].Key) != "the-key" || h["h_trace"] != "abc" || h[dlq.HeaderValueDropped] != fmt.Sprint(len(big)) {
		t.Fatalf("dead letter key %q value %d bytes headers %v", dead[0].Key, len(dead[0].Value), h)
	}
	if tot := s.ledger.Totals(); tot.Delivered != 1 || tot.DeadLettered != 1 || tot.Nacked != 0 {
		t.Errorf("ledger %+v", tot)
	}
}

// A schema registry that cannot be reached is the registry's state, not
// the records': they are returned to the pipeline, never dead-lettered.
func TestRegistryOutageIsNotDeadLettered(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "orders", "orders.dlq"))
	dead := "127.0.0.1:1" // nothing listens on port 1
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: orders
value_serializer:
  type: avro_confluent
  schema: '"long"'
  schema_registry:
    url: [ http://%s ]
dlq:
  topic: orders.dlq
`, kafkatest.Brokers(c), dead))
	failed, err := write(t, s, service.MessageBatch{msg("1"), msg("2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 2 || !strings.Contains(failed[0].Error(), "schema registry unavailable") {
		t.Fatalf("failed = %v", failed)
	}
	if recs, err := kafkatest.Read(context.Background(), c.ListenAddrs(), "orders.dlq"); err != nil || len(recs) != 0 {
		t.Fatalf("DLQ holds %d records (%v)", len(recs), err)
	}
	if tot := s.ledger.Totals(); tot.Nacked != 2 || tot.DeadLettered != 0 {
		t.Errorf("ledger %+v", tot)
	}
}
