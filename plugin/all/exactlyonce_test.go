package all_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// kafka_source → mapping → kafka_sink with commit_source, while one
// transactional offset commit in five is refused as if the group had moved
// on (ILLEGAL_GENERATION): each refusal aborts the transaction and the
// source reads again from its last commit. A read_committed reader sees
// every input record exactly once, the group ends with every offset
// committed, and the counters say how many transactions aborted.
func TestExactlyOnceThroughAborts(t *testing.T) {
	const total = 20_000
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "in", "out"))
	var recs []*kgo.Record
	for i := range total {
		recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(strconv.Itoa(i % 50)), Value: []byte(strconv.Itoa(i))})
	}
	cl := kafkatest.Client(t, c)
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	c.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.TxnOffsetCommit}, Err: kerr.IllegalGeneration, Count: -1,
		When: func(kmsg.Request) bool { return rand.Float64() < 0.2 },
	})
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
    fetch_max_partition_bytes: 2000
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
      commit_period: 20ms
metrics:
  capture: {}
logger:
  level: ${EOS_LOG_LEVEL:error}
`, kafkatest.Brokers(c))); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Run(context.Background()) }()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(90 * time.Second)
	for {
		lag, err := adm.Lag(context.Background(), "g")
		if err == nil && lag["g"].Lag.Total() == 0 && len(lag["g"].Lag) > 0 && lag["g"].FetchErr == nil {
			committed := int64(0)
			for _, ps := range lag["g"].Lag {
				for _, pl := range ps {
					committed += pl.Commit.At
				}
			}
			if committed == total {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group did not commit every record\n%s", metrics.Dump("kafka_"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range kafkatest.ReadAll(t, c, "out", kgo.FetchIsolationLevel(kgo.ReadCommitted())) {
		seen[string(r.Value)]++
	}
	for i := range total {
		if n := seen["v"+strconv.Itoa(i)]; n != 1 {
			t.Fatalf("input record %d is in the output %d times\n%s", i, n, metrics.Dump("kafka_"))
		}
	}
	aborted := metrics.Get(`kafka_sink_transactions{outcome="aborted"}`)
	if aborted == 0 {
		t.Errorf("no transaction aborted: the test did not exercise a rewind\n%s", metrics.Dump("kafka_"))
	}
	t.Logf("%d records exactly once through %d committed and %d aborted transactions", total,
		metrics.Get(`kafka_sink_transactions{outcome="committed"}`), aborted)
}
