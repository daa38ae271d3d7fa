package all_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/serde"
)

const stateSchema = `{"type":"record","name":"State","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}`

// A compacted topic copied through kafka_source → kafka_sink with
// Confluent Avro values: inserts, updates and deletes (tombstones, null
// values) arrive in the copy as they were, key by key, in order. The
// avro_confluent deserializer passes a null value through as a tombstone
// (kafka_tombstone_message) rather than failing on it, and the sink
// writes a null value for it.
func TestCompactedTopicCopy(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "state", "state-copy"))
	codec, err := serde.New(serde.Config{Type: "avro_confluent", Schema: stateSchema, AutoRegister: true,
		Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var recs []*kgo.Record
	for i := range 60 {
		r := &kgo.Record{Topic: "state", Key: []byte(fmt.Sprintf("k%d", i%20))}
		if i%7 != 6 { // every seventh is a delete
			if r.Value, err = codec.Serialize(ctx, serde.Target{Topic: "state"}, []byte(fmt.Sprintf(`{"id":%d,"name":"v%d"}`, i, i))); err != nil {
				t.Fatal(err)
			}
		}
		recs = append(recs, r)
	}
	if err := kafkatest.Client(t, c).ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	env, metrics := kafkatest.NewEnvWithMetrics()
	kafkatest.RunUntil(t, env, metrics, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ state ]
    consumer_group: copy
    value_deserializer:
      type: avro_confluent
      schema_registry: { url: %[2]s }
    on_deserialize_error: fail
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: state-copy
    key: '${! @kafka_key }'
    value_serializer:
      type: avro_confluent
      schema: '%[3]s'
      schema_registry: { url: %[2]s }
metrics:
  capture: {}
logger:
  level: warn
`, kafkatest.Brokers(c), reg.URL(), stateSchema), "the copy to finish", 30*time.Second, func() bool {
		return metrics.Get(`kafka_sink_records{outcome="delivered"}`) >= 60
	})

	history := func(topic string) map[string][]string {
		h := map[string][]string{}
		for _, r := range kafkatest.ReadAll(t, c, topic) {
			v := "<tombstone>"
			if r.Value != nil {
				d, err := codec.Deserialize(ctx, serde.Target{Topic: topic}, r.Value)
				if err != nil {
					t.Fatalf("%s: %v", topic, err)
				}
				v = string(d)
			}
			h[string(r.Key)] = append(h[string(r.Key)], v)
		}
		return h
	}
	in, out := history("state"), history("state-copy")
	tombstones := 0
	for k, want := range in {
		got := out[k]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("key %s: copy %v, source %v", k, got, want)
		}
		for _, v := range want {
			if v == "<tombstone>" {
				tombstones++
			}
		}
	}
	if len(out) != len(in) || tombstones != 8 {
		t.Errorf("%d keys copied of %d, %d tombstones (want 8)", len(out), len(in), tombstones)
	}
}
