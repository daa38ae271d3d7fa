package all_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/serde"
)

// readValues runs kafka_source over topic with extra fields until it has
// passed n messages and its group's commit reaches the end of the topic,
// and returns the messages as value@offset, sorted.
func readValues(t *testing.T, c *kfake.Cluster, topic, group, extra string, n int) []string {
	t.Helper()
	env, metrics := kafkatest.NewEnvWithMetrics()
	b := env.NewStreamBuilder()
	if err := b.AddInputYAML(fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ %s ]
  consumer_group: %s
  commit_period: 100ms
%s`, kafkatest.Brokers(c), topic, group, extra)); err != nil {
		t.Fatal(err)
	}
	_ = b.SetMetricsYAML("capture: {}")
	_ = b.SetLoggerYAML("level: warn")
	var mu sync.Mutex
	var got []string
	_ = b.AddConsumerFunc(func(_ context.Context, m *service.Message) error {
		v, _ := m.AsBytes()
		off, _ := m.MetaGetMut("kafka_offset")
		mu.Lock()
		got = append(got, fmt.Sprintf("%s@%v", v, off))
		mu.Unlock()
		return nil
	})
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = s.Run(ctx) }()
	adm := kadm.NewClient(kafkatest.Client(t, c))
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		done := len(got) >= n
		mu.Unlock()
		lag, err := adm.Lag(context.Background(), group)
		if g, ok := lag[group]; done && err == nil && ok && g.Error() == nil && len(g.Lag) > 0 && g.Lag.Total() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s: %d messages of %d, lag %d", group, len(got), n, lag[group].Lag.Total())
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = s.StopWithin(5 * time.Second)
	if d := metrics.Get(`kafka_source_records{outcome="delivered"}`); d != int64(n) {
		t.Fatalf("%d records delivered, want %d", d, n)
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(got)
	return got
}

// Transactional topics: a committed transaction, an aborted one, then
// another committed one, on one partition. Their control records (the
// commit and abort markers) take offsets but are never messages;
// read_committed reads only the committed records, read_uncommitted (the
// default, as in Kafka's consumers) the aborted ones too; either way the
// group's commit passes every marker to the end of the partition.
func TestTransactionalTopicRead(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "tx"))
	cl := kafkatest.Client(t, c, kgo.TransactionalID("audit"), kgo.DefaultProduceTopic("tx"))
	ctx := context.Background()
	for i, commit := range []bool{true, false, true} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprintf("t%d-%d", i, j))).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	committed := readValues(t, c, "tx", "rc", "  transaction_isolation_level: read_committed", 6)
	if strings.Contains(strings.Join(committed, " "), "t1-") || len(committed) != 6 {
		t.Fatalf("read_committed read %v", committed)
	}
	all := readValues(t, c, "tx", "ru", "", 9)
	want := []string{"t0-0@0", "t0-1@1", "t0-2@2", "t1-0@4", "t1-1@5", "t1-2@6", "t2-0@8", "t2-1@9", "t2-2@10"}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("read_uncommitted read %v, want %v (markers at offsets 3, 7 and 11)", all, want)
	}
}

// Records deleted from the log before they were read (retention,
// DeleteRecords) cannot be read. A group whose committed offset is now
// before the log start resets to its start_offset: with earliest (the
// default) it reads from the first record still there, skipping none of
// those.
func TestCommittedOffsetBeforeLogStart(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "gone"))
	cl := kafkatest.Client(t, c, kgo.DefaultProduceTopic("gone"))
	ctx := context.Background()
	for i := range 10 {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprint(i))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	first := readValues(t, c, "gone", "g", "", 10)
	if len(first) != 10 {
		t.Fatalf("read %v", first)
	}
	for i := 10; i < 20; i++ {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprint(i))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(cl)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: "gone", Partition: 0, At: 15})
	if res, err := adm.DeleteRecords(ctx, del); err != nil || res.Error() != nil {
		t.Fatalf("delete records: %v %v", err, res.Error())
	}
	again := readValues(t, c, "gone", "g", "", 5)
	if fmt.Sprint(again) != "[15@15 16@16 17@17 18@18 19@19]" {
		t.Fatalf("after the log start moved past the commit (10) to 15, read %v", again)
	}
}

// A schema registry out of reach is not the record's fault: kafka_source
// waits for it and decodes every record once it answers, none flagged or
// dead-lettered for the outage.
func TestSourceWaitsForTheRegistry(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "reg", "reg-dlq"))
	codec, err := serde.New(serde.Config{Type: "avro_confluent", Schema: stateSchema, AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	cl := kafkatest.Client(t, c, kgo.DefaultProduceTopic("reg"))
	for i := range 20 {
		v, err := codec.Serialize(context.Background(), serde.Target{Topic: "reg"}, []byte(fmt.Sprintf(`{"id":%d,"name":"n"}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	down := time.Now().Add(1500 * time.Millisecond)
	var refused atomic.Int64
	reg.Intercept(func(w http.ResponseWriter, _ *http.Request) bool {
		if time.Now().Before(down) {
			refused.Add(1)
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	got := readValues(t, c, "reg", "g", fmt.Sprintf("  value_deserializer: { type: avro_confluent, schema_registry: { url: %s } }\n  on_deserialize_error: dlq\n  dlq: { topic: reg-dlq }", reg.URL()), 20)
	if refused.Load() == 0 || len(got) != 20 || !strings.HasPrefix(got[0], `{"id":0,"name":"n"}@0`) {
		t.Fatalf("%d registry requests refused; read %v", refused.Load(), got)
	}
	if n := len(kafkatest.ReadAll(t, c, "reg-dlq")); n != 0 {
		t.Fatalf("%d records dead-lettered for the registry's outage", n)
	}
}
