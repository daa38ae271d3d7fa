package input_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

func admin(t *testing.T, c *kfake.Cluster) *kadm.Client {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func committedOffset(t *testing.T, c *kfake.Cluster, group, topic string, p int32) int64 {
	t.Helper()
	offs, err := admin(t, c).FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := offs.Lookup(topic, p)
	if !ok {
		return -1
	}
	return o.At
}

func committedLag(t *testing.T, c *kfake.Cluster, group, topic string) int64 {
	t.Helper()
	adm := admin(t, c)
	ctx := context.Background()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	var lag int64
	ends.Each(func(e kadm.ListedOffset) {
		at := int64(0)
		if o, ok := offs.Lookup(topic, e.Partition); ok {
			at = o.At
		}
		lag += e.Offset - at
	})
	return lag
}

// Two inputs share a group on a 12-partition topic; one stops mid-stream.
// Every record reaches the pipeline at least once, and no committed offset
// ever passes a record the pipeline has not seen: commits are sampled all
// through the run and checked against what had been delivered by then.
func TestRebalanceLosesNothing(t *testing.T) {
	const total = 6000
	c := kafkatest.Cluster(t, kfake.SeedTopics(12, "orders"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	// Small produce batches (about 20 records a partition), so fetches
	// are small and the run takes long enough to stop a member mid-way.
	for chunk := 0; chunk < total; chunk += 240 {
		var recs []*kgo.Record
		for i := chunk; i < chunk+240; i++ {
			recs = append(recs, &kgo.Record{Topic: "orders", Partition: int32(i % 12), Value: []byte(strconv.Itoa(i))})
		}
		produceTo(t, c, recs...)
	}

	conf := fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ orders ]
  consumer_group: g
  commit_period: 100ms
  heartbeat_interval: 100ms
  session_timeout: 3s
  rebalance_timeout: 5s
  metadata_min_age: 50ms
  fetch_max_wait: 100ms
  fetch_max_partition_bytes: 1000
  checkpoint_limit: 50
`, brokers(c))
	a, b := got{delay: 10 * time.Millisecond}, got{delay: 10 * time.Millisecond}
	delivered := func() map[int32]map[int]bool {
		at := map[int32]map[int]bool{}
		for _, m := range append(a.snapshot(), b.snapshot()...) {
			p := int32(m.partition)
			if at[p] == nil {
				at[p] = map[int]bool{}
			}
			at[p][m.offset] = true
		}
		return at
	}
	var violation error
	samplerDone, stopSampler := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(samplerDone)
		adm := admin(t, c)
		for {
			select {
			case <-stopSampler:
				return
			case <-time.After(30 * time.Millisecond):
			}
			offs, err := adm.FetchOffsets(context.Background(), "g")
			if err != nil {
				continue
			}
			seen := delivered() // after the fetch: delivery precedes commit
			offs.Each(func(o kadm.OffsetResponse) {
				for off := 0; off < int(o.At); off++ {
					if !seen[o.Partition][off] && violation == nil {
						violation = fmt.Errorf("partition %d committed at %d before offset %d was delivered", o.Partition, o.At, off)
					}
				}
			})
		}
	}()

	stopA := startStream(t, nil, conf, &a)
	stopB := startStream(t, nil, conf, &b)
	waitFor(t, "both members to read", 30*time.Second, func() bool { return a.len() > 200 && b.len() > 200 })
	stopA() // leaves the group mid-stream: its partitions move to b
	aSeen := a.len()
	waitFor(t, "every record", 60*time.Second, func() bool {
		seen := map[string]bool{}
		for _, m := range append(a.snapshot(), b.snapshot()...) {
			seen[m.value] = true
		}
		return len(seen) == total
	})
	stopB()
	close(stopSampler)
	<-samplerDone
	if violation != nil {
		t.Fatal(violation)
	}
	if aSeen >= total {
		t.Fatalf("a read all %d records before stopping: the test did not stop it mid-stream", aSeen)
	}
	if lag := committedLag(t, c, "g", "orders"); lag != 0 {
		t.Errorf("lag %d at the end", lag)
	}
	t.Logf("a read %d before stopping, b read %d; %d read twice", aSeen, b.len(), aSeen+b.len()-total)
}

// The lag gauge shows the backlog while records wait, then 0.
func TestLagGauge(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(2, "t"))
	var recs []*kgo.Record
	for i := range 200 {
		recs = append(recs, &kgo.Record{Topic: "t", Partition: int32(i % 2), Value: []byte(strconv.Itoa(i))})
	}
	produceTo(t, c, recs...)
	env, metrics := kafkatest.NewEnvWithMetrics()
	var g got
	// A checkpoint limit of 10 with nobody acknowledging holds the
	// backlog; then a second stream drains it.
	b := env.NewStreamBuilder()
	_ = b.SetMetricsYAML("capture: {}")
	_ = b.SetLoggerYAML("level: warn")
	if err := b.AddInputYAML(fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ t ]
  consumer_group: lag
  commit_period: 100ms
  lag_refresh_period: 100ms
  heartbeat_interval: 100ms
`, brokers(c))); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	if err := b.AddBatchConsumerFunc(func(ctx context.Context, batch service.MessageBatch) error {
		<-release
		return g.add(ctx, batch)
	}); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(context.Background()) }()
	defer func() {
		if t.Failed() {
			t.Log(metrics.Dump("kafka_source"))
		}
	}()
	waitFor(t, "the gauge to show the backlog", 20*time.Second, func() bool {
		return metrics.Get(`kafka_source_lag{topic="t",partition="0"}`) == 100 && metrics.Get(`kafka_source_lag{topic="t",partition="1"}`) == 100
	})
	close(release)
	waitFor(t, "the gauge to reach 0", 20*time.Second, func() bool {
		return metrics.Get(`kafka_source_lag{topic="t",partition="0"}`) == 0 && metrics.Get(`kafka_source_lag{topic="t",partition="1"}`) == 0 && g.len() == 200
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = s.Stop(ctx)
	<-done
	if n := metrics.Get(`kafka_source_commits{outcome="ok"}`); n == 0 {
		t.Errorf("no commits counted\n%s", metrics.Dump("kafka_source"))
	}
}

// A periodic commit the broker refuses partition by partition (the
// request succeeds; its partitions carry errors) counts as failed, not ok:
// nothing was stored, and the lag it leaves must not look healthy.
func TestCommitRefusalsCounted(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	c.ControlKey(int16(kmsg.OffsetCommit), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.OffsetCommitRequest)
		resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewOffsetCommitResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewOffsetCommitResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.FencedLeaderEpoch.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	produceTo(t, c, &kgo.Record{Topic: "t", Value: []byte("x")})
	env, metrics := kafkatest.NewEnvWithMetrics()
	stop := startStream(t, env, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ t ]
  consumer_group: refused
  commit_period: 100ms
  heartbeat_interval: 100ms
`, brokers(c)), &got{})
	defer func() {
		if t.Failed() {
			t.Log(metrics.Dump("kafka_source"))
		}
	}()
	waitFor(t, "a refused commit to be counted", 20*time.Second, func() bool {
		return metrics.Get(`kafka_source_commits{outcome="failed"}`) > 0
	})
	stop()
	if n := metrics.Get(`kafka_source_commits{outcome="ok"}`); n != 0 {
		t.Errorf("%v commits counted ok, every one was refused", n)
	}
}
