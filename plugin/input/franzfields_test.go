package input_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// A kafka_franz input config runs as written: whole topics beside explicit
// partitions (and a partition from an offset), sizes with units, repeated
// headers as lists with multi_header, and every request capped at the
// target_version's protocol. What is read is checked record by record.
func TestKafkaFranzFieldsOnSource(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "orders", "payments", "refunds"))
	var recs []*kgo.Record
	for _, topic := range []string{"orders", "payments", "refunds"} {
		for p := int32(0); p < 3; p++ {
			for i := range 4 {
				recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "%s-%d-%d", topic, p, i),
					Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("a")}, {Key: "h", Value: []byte("b")}}})
			}
		}
	}
	produceTo(t, c, recs...)
	// Watched from here on: the requests of the input's client only.
	var maxFetch, maxMeta atomic.Int32
	watch := func(key kmsg.Key, seen *atomic.Int32) {
		c.ControlKey(int16(key), func(r kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			if v := int32(r.GetVersion()); v > seen.Load() {
				seen.Store(v)
			}
			return nil, nil, false
		})
	}
	watch(kmsg.Fetch, &maxFetch)
	watch(kmsg.Metadata, &maxMeta)

	g := &got{}
	stop := startStream(t, nil, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ orders, 'payments:1', 'refunds:2:3' ]
  fetch_max_bytes: 50MiB
  fetch_max_partition_bytes: 1mib
  fetch_min_bytes: 1B
  multi_header: true
  target_version: 2.1.0
`, brokers(c)), g)
	defer stop()
	// orders whole (12), payments partition 1 (4), refunds partition 2
	// from offset 3 (1).
	waitFor(t, "17 records", 20*time.Second, func() bool { return g.len() >= 17 })
	time.Sleep(300 * time.Millisecond) // nothing more may come
	var vals []string
	for _, m := range g.snapshot() {
		vals = append(vals, m.value)
		h, ok := m.meta["h"].([]any)
		if !ok || len(h) != 2 || h[0] != "a" || h[1] != "b" {
			t.Fatalf("%s: header h is %#v, want [a b]", m.value, m.meta["h"])
		}
	}
	slices.Sort(vals)
	want := []string{"payments-1-0", "payments-1-1", "payments-1-2", "payments-1-3", "refunds-2-3"}
	for p := range 3 {
		for i := range 4 {
			want = append(want, fmt.Sprintf("orders-%d-%d", p, i))
		}
	}
	slices.Sort(want)
	if !slices.Equal(vals, want) {
		t.Fatalf("read %d records:\n%s\nwant %d:\n%s", len(vals), strings.Join(vals, " "), len(want), strings.Join(want, " "))
	}
	// Kafka 2.1 knows Fetch up to v10 and Metadata up to v7.
	if f, m := maxFetch.Load(), maxMeta.Load(); f == 0 || f > 10 || m == 0 || m > 7 {
		t.Fatalf("with target_version 2.1.0 the client sent Fetch v%d and Metadata v%d, want at most v10 and v7", f, m)
	}
}

// timely_nacks_maximum_wait nacks a batch the pipeline holds too long, and
// the nack is replayed (auto_replay_nacks): the record is read again while
// its first copy is still unacknowledged.
func TestTimelyNacks(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "slow"))
	produceTo(t, c, &kgo.Record{Topic: "slow", Value: []byte("only")})
	conf, err := service.NewConfigSpec().Field(service.NewInputField("in")).ParseYAML(fmt.Sprintf(`
in:
  kafka_source:
    seed_brokers: [ %s ]
    topics: [ slow ]
    timely_nacks_maximum_wait: 200ms
`, brokers(c)), nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := conf.FieldInput("in")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer func() { _ = in.Close(ctx) }()
	first, firstAck, err := in.ReadBatch(ctx) // held past the wait
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = firstAck(ctx, nil) }()
	start := time.Now()
	again, ack, err := in.ReadBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ack(ctx, nil) }()
	a, _ := first[0].AsBytes()
	b, _ := again[0].AsBytes()
	if string(a) != "only" || string(b) != "only" {
		t.Fatalf("read %q then %q, want the same record twice", a, b)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("the record came again after %v, before the 200ms wait", waited)
	}
}
