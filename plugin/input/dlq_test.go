package input_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
)

// A record that does not decode and is too large for the dead-letter
// topic's max.message.bytes is dead-lettered without its value, as
// kafka_sink does, and its partition goes on. (Before internal/dlq owned
// the fallback, kafka_source retried every DLQ error forever: the
// partition stalled at that record for good.) kfake does not enforce a
// topic's own max.message.bytes, so a fault refuses produce requests to
// the DLQ topic that carry more than 4 KiB.
func TestPoisonTooLargeForDLQ(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "in", "in.dlq"))
	big := "not json " + randomText(10_000) // incompressible: the client compresses batches
	produceTo(t, c,
		&kgo.Record{Topic: "in", Value: []byte(`{"n":0}`)},
		&kgo.Record{Topic: "in", Key: []byte("poison"), Value: []byte(big), Headers: []kgo.RecordHeader{{Key: "origin", Value: []byte("test")}}},
		&kgo.Record{Topic: "in", Value: []byte(`{"n":2}`)},
	)
	c.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: "in.dlq", Err: kerr.MessageTooLarge, Count: -1,
		When: func(req kmsg.Request) bool {
			for _, tp := range req.(*kmsg.ProduceRequest).Topics {
				for _, p := range tp.Partitions {
					if len(p.Records) > 4096 {
						return true
					}
				}
			}
			return false
		},
	})
	env, metrics := kafkatest.NewEnvWithMetrics()
	var g got
	stop := startStream(t, env, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ in ]
  consumer_group: g
  commit_period: 100ms
  metadata_min_age: 50ms
  value_deserializer: { type: json }
  on_deserialize_error: dlq
  dlq:
    topic: in.dlq
`, brokers(c)), &g)
	waitFor(t, "both good records", 20*time.Second, func() bool { return g.len() >= 2 })
	waitFor(t, "the commit past the poison record", 20*time.Second, func() bool { return committedOffset(t, c, "g", "in", 0) == 3 })
	stop()

	dead := kafkatest.ReadAll(t, c, "in.dlq")
	if len(dead) != 1 {
		t.Fatalf("DLQ holds %d records, want 1", len(dead))
	}
	h := map[string]string{}
	for _, hd := range dead[0].Headers {
		h[hd.Key] = string(hd.Value)
	}
	if dead[0].Value != nil || string(dead[0].Key) != "poison" || h[dlq.HeaderValueDropped] != fmt.Sprint(len(big)) ||
		h["origin"] != "test" || h[dlq.HeaderStage] != "DESERIALIZE" || h[dlq.HeaderOffset] != "1" {
		t.Errorf("dead letter key %q value %d bytes, headers %v", dead[0].Key, len(dead[0].Value), h)
	}
	for key, want := range map[string]int64{
		`kafka_source_records{outcome="delivered"}`:     2,
		`kafka_source_records{outcome="dead_lettered"}`: 1,
		`kafka_source_records{outcome="nacked"}`:        0,
	} {
		if got := metrics.Get(key); got != want {
			t.Errorf("%s = %d, want %d\n%s", key, got, want, metrics.Dump("kafka_source"))
		}
	}
}

func randomText(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}
