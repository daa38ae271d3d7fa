package all_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

func TestEOSSmoke(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "in", "out"))
	cl, _ := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	var recs []*kgo.Record
	for i := range 3000 {
		recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(strconv.Itoa(i % 50)), Value: []byte(strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	env, metrics := kafkatest.NewEnvWithMetrics()
	b := env.NewStreamBuilder()
	if err := b.SetYAML(fmt.Sprintf(`
input:
  label: orders_in
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ in ]
    consumer_group: g
    metadata_min_age: 50ms
pipeline:
  processors:
    - mapping: 'root = "v" + content().string()'
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: out
    key: '${! @kafka_key }'
    metadata_min_age: 50ms
    transaction:
      enabled: true
      commit_source: orders_in
metrics:
  capture: {}
logger:
  level: info
`, kafkatest.Brokers(c))); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for metrics.Get(`kafka_sink_records{outcome="delivered"}`) < 3000 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	_ = s.Stop(context.Background())
	out := kafkatest.ReadAll(t, c, "out", kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	t.Logf("out: %d records; %s", len(out), metrics.Dump("kafka_"))
	seen := map[string]int{}
	for _, r := range out {
		seen[string(r.Value)]++
	}
	if len(seen) != 3000 || len(out) != 3000 {
		t.Fatalf("%d distinct of %d", len(seen), len(out))
	}
}
