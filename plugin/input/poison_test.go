package input_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
)

// 1,000 records over 4 partitions, every tenth not JSON.
func poisonTopic(t *testing.T) (*kfake.Cluster, map[string]bool) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(4, "in"), kfake.AllowAutoTopicCreation())
	var recs []*kgo.Record
	bad := map[string]bool{}
	for i := range 1000 {
		v := fmt.Sprintf(`{"n":%d}`, i)
		if i%10 == 3 {
			v = fmt.Sprintf(`not json %d`, i)
			bad[v] = true
		}
		r := rec("in", fmt.Sprintf("k%d", i%17), v)
		r.Headers = []kgo.RecordHeader{{Key: "origin", Value: []byte("test")}}
		recs = append(recs, r)
	}
	produce(t, c, recs...)
	return c, bad
}

func TestPoisonFlag(t *testing.T) {
	c, bad := poisonTopic(t)
	var g got
	stop := startStream(t, nil, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ in ]
  consumer_group: g
  value_deserializer: { type: json }
`, brokers(c)), &g)
	defer stop()
	waitFor(t, "1000 messages", 30*time.Second, func() bool { return g.len() >= 1000 })
	flagged := 0
	for _, m := range g.snapshot() {
		if bad[m.value] {
			flagged++
			if !strings.Contains(m.err, "value_deserializer") || !strings.Contains(m.err, "not a valid JSON") {
				t.Errorf("bad record %q flagged with %q", m.value, m.err)
			}
		} else if m.err != "" || !strings.HasPrefix(m.value, `{"n":`) {
			t.Errorf("good record %q arrived as %q with error %q", m.value, m.value, m.err)
		}
		if m.meta["origin"] != "test" || m.meta["kafka_topic"] != "in" {
			t.Errorf("metadata %v", m.meta)
		}
	}
	if flagged != 100 || g.len() != 1000 {
		t.Errorf("%d messages, %d flagged; want 1000 and 100", g.len(), flagged)
	}
}

func TestPoisonDLQ(t *testing.T) {
	c, bad := poisonTopic(t)
	env, metrics := kafkatest.NewEnvWithMetrics()
	var g got
	stop := startStream(t, env, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ in ]
  consumer_group: g
  value_deserializer: { type: json }
  on_deserialize_error: dlq
  dlq:
    topic: '${! @kafka_topic }.dlq'
`, brokers(c)), &g)
	waitFor(t, "900 good messages", 30*time.Second, func() bool { return g.len() >= 900 })
	stop()
	for _, m := range g.snapshot() {
		if m.err != "" || bad[m.value] {
			t.Fatalf("a bad record reached the pipeline: %q %q", m.value, m.err)
		}
	}
	dead := kafkatest.ReadAll(t, c, "in.dlq")
	if len(dead) != 100 {
		t.Fatalf("DLQ holds %d records, want 100", len(dead))
	}
	for _, r := range dead {
		h := map[string]string{}
		for _, hd := range r.Headers {
			h[hd.Key] = string(hd.Value)
		}
		if !bad[string(r.Value)] || h["origin"] != "test" || h[dlq.HeaderTopic] != "in" || h[dlq.HeaderStage] != "DESERIALIZE" ||
			h[dlq.HeaderPartition] == "" || h[dlq.HeaderOffset] == "" || h[dlq.HeaderClassName] != "serde.json" ||
			h[dlq.HeaderExceptionClass] != dlq.ClassSerialization || h[dlq.HeaderConnectorName] != "input" || h[dlq.HeaderReason] != "serde.json" ||
			!strings.Contains(h[dlq.HeaderExceptionMsg], "not a valid JSON") || !strings.HasPrefix(string(r.Key), "k") {
			t.Fatalf("DLQ record %q key %q headers %v", r.Value, r.Key, h)
		}
	}
	if d := metrics.Get(`kafka_source_records{outcome="dead_lettered"}`); d != 100 {
		t.Errorf("dead_lettered counter %d\n%s", d, metrics.Dump("kafka_source"))
	}
	if d := metrics.Get(`kafka_source_records{outcome="delivered"}`); d != 900 {
		t.Errorf("delivered counter %d\n%s", d, metrics.Dump("kafka_source"))
	}
	// The partitions did not stall: every offset is committed.
	lag := committedLag(t, c, "g", "in")
	if lag != 0 {
		t.Errorf("group lag %d after consuming everything", lag)
	}
}

// TestPoisonFail: a record that does not decode, under on_deserialize_error
// fail or dlq with a dlq.topic that names no topic for it, stops its
// partition there: nothing after it arrives and no commit passes it.
func TestPoisonFail(t *testing.T) {
	for name, conf := range map[string]string{
		"fail":              "on_deserialize_error: fail",
		"dlq topic unknown": "on_deserialize_error: dlq\n  dlq: { topic: '${! throw(\"no dead-letter topic\") }' }",
	} {
		t.Run(name, func(t *testing.T) {
			c := kafkatest.Cluster(t, kfake.SeedTopics(2, "in"))
			produceTo(t, c,
				&kgo.Record{Topic: "in", Partition: 0, Value: []byte(`{"n":0}`)},
				&kgo.Record{Topic: "in", Partition: 0, Value: []byte(`{"n":1}`)},
				&kgo.Record{Topic: "in", Partition: 0, Value: []byte(`oops`)},
				&kgo.Record{Topic: "in", Partition: 0, Value: []byte(`{"n":3}`)},
				&kgo.Record{Topic: "in", Partition: 1, Value: []byte(`{"n":10}`)},
				&kgo.Record{Topic: "in", Partition: 1, Value: []byte(`{"n":11}`)},
			)
			var g got
			stop := startStream(t, nil, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ in ]
  consumer_group: g
  commit_period: 100ms
  value_deserializer: { type: json }
  %s
`, brokers(c), conf), &g)
			waitFor(t, "4 good messages", 20*time.Second, func() bool { return g.len() >= 4 })
			time.Sleep(time.Second)
			stop()
			var vals []string
			for _, m := range g.snapshot() {
				vals = append(vals, m.value)
			}
			if len(vals) != 4 || strings.Contains(strings.Join(vals, ","), `"n":3`) {
				t.Errorf("arrived %v; want n 0, 1, 10, 11 and nothing after the bad record", vals)
			}
			if off := committedOffset(t, c, "g", "in", 0); off != 2 {
				t.Errorf("partition 0 committed at %d, want 2 (the bad record)", off)
			}
			if off := committedOffset(t, c, "g", "in", 1); off != 2 {
				t.Errorf("partition 1 committed at %d, want 2", off)
			}
		})
	}
}
