package output

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// brokerMaxBytes is the broker's message.max.bytes in these tests, well
// under the client's max_message_bytes, so the client sends batches the
// broker refuses.
const brokerMaxBytes = 4000

func randomBody(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b) // hex: incompressible enough for snappy
}

// One record too large for the broker, shared in a partition batch with
// good ones; one to a topic that does not exist (auto-create off); one to
// a name Kafka refuses. Exactly those three come back failed, and the good
// records are in the topic once each, in order.
func TestPartialFailureNamesExactlyTheFailedRecords(t *testing.T) {
	c := kafkatest.Cluster(t,
		kfake.SeedTopics(1, "orders"),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerMaxBytes)}),
	)
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: '${! @topic.or("orders") }'
metadata_min_age: 50ms
allow_auto_topic_creation: false
linger: 50ms
max_message_bytes: 1MB
`, kafkatest.Brokers(c)))

	var batch service.MessageBatch
	for i := range 20 {
		batch = append(batch, msg(fmt.Sprintf("good-%02d-%s", i, randomBody(100))))
	}
	batch[7] = msg("big-" + randomBody(3*brokerMaxBytes))
	batch[13] = msg("to-missing", "topic", "does-not-exist")
	batch[15] = msg("to-invalid", "topic", "no spaces allowed")

	start := time.Now()
	failed, err := write(t, s, batch)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("batch settled in %v", time.Since(start))
	if len(failed) != 3 || failed[7] == nil || failed[13] == nil || failed[15] == nil {
		t.Fatalf("failed indexes = %v, want exactly 7, 13 and 15", keys(failed))
	}
	for i, want := range map[int]string{7: "MESSAGE_TOO_LARGE", 13: "UNKNOWN_TOPIC_OR_PARTITION", 15: "no spaces allowed"} {
		if !strings.Contains(failed[i].Error(), want) {
			t.Errorf("record %d error %q does not mention %s", i, failed[i], want)
		}
	}

	recs := kafkatest.ReadAll(t, c, "orders")
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Value[:len("good-00")]))
	}
	var want []string
	for i := range 20 {
		if i != 7 && i != 13 && i != 15 {
			want = append(want, fmt.Sprintf("good-%02d", i))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("topic holds\n %v\nwant\n %v", got, want)
	}
	if tot := s.ledger.Totals(); tot.Received != 20 || tot.Delivered != 17 || tot.Nacked != 3 {
		t.Errorf("ledger %+v", tot)
	}
}

func keys(m map[int]error) []int {
	var out []int
	for i := range 100 {
		if _, ok := m[i]; ok {
			out = append(out, i)
		}
	}
	return out
}

// The same failures through a pipeline: `fallback: [kafka_sink, file]`
// sends exactly the failed records to the second output, each with its
// @fallback_error, and the rest are in Kafka once. The counters agree.
func TestFallbackReceivesOnlyFailedRecords(t *testing.T) {
	c := kafkatest.Cluster(t,
		kfake.SeedTopics(3, "orders"),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerMaxBytes)}),
	)
	out := filepath.Join(t.TempDir(), "failed.jsonl")
	env, metrics := kafkatest.NewEnvWithMetrics()
	kafkatest.RunStream(t, env, fmt.Sprintf(`
input:
  generate:
    count: 200
    interval: ""
    batch_size: 50
    mapping: |
      let n = counter()
      root.n = $n
      root.customer = "c-%%d".format($n %% 9)
      root.pad = if $n %% 40 == 0 { range(0, %d).map_each(_ -> uuid_v4()).join("") } else { "" }
      meta topic = if $n %% 50 == 25 { "missing-topic" } else { "orders" }
output:
  fallback:
    - kafka_sink:
        seed_brokers: [ %s ]
        topic: '${! @topic }'
        key_field: customer
        metadata_min_age: 50ms
        allow_auto_topic_creation: false
    - file:
        path: %s
        codec: lines
      processors:
        - mapping: |
            root.n = this.n
            root.error = @fallback_error
metrics:
  capture: {}
logger:
  level: warn
`, brokerMaxBytes/10, kafkatest.Brokers(c), out), 60*time.Second)

	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	failedN := map[string]bool{}
	for _, l := range lines {
		var n int
		if _, err := fmt.Sscanf(l, `{"error":%q`, new(string)); err != nil && !strings.Contains(l, `"n":`) {
			t.Fatalf("bad line %s", l)
		}
		_, _ = fmt.Sscanf(l[strings.Index(l, `"n":`)+4:], "%d", &n)
		failedN[fmt.Sprint(n)] = true
		if !strings.Contains(l, "MESSAGE_TOO_LARGE") && !strings.Contains(l, "UNKNOWN_TOPIC_OR_PARTITION") {
			t.Errorf("fallback line without the cause: %s", l)
		}
	}
	// n%40==0 (too large: 40,80,...,200 -> 5) and n%50==25 (25,75,125,175 -> 4).
	var want []string
	for n := 1; n <= 200; n++ {
		if n%40 == 0 || n%50 == 25 {
			want = append(want, fmt.Sprint(n))
		}
	}
	if len(failedN) != len(want) || len(lines) != len(want) {
		t.Fatalf("fallback got %d lines %v, want %v", len(lines), failedN, want)
	}
	for _, n := range want {
		if !failedN[n] {
			t.Errorf("record %s missing from the fallback output", n)
		}
	}

	recs := kafkatest.ReadAll(t, c, "orders")
	seen := map[string]int{}
	for _, r := range recs {
		v := string(r.Value)
		n := v[strings.Index(v, `"n":`)+4:]
		n = n[:strings.IndexAny(n, ",}")]
		seen[n]++
	}
	if len(recs) != 200-len(want) {
		t.Errorf("topic has %d records, want %d", len(recs), 200-len(want))
	}
	for n, k := range seen {
		if k != 1 || failedN[n] {
			t.Errorf("record %s is in the topic %d times (failed: %v)", n, k, failedN[n])
		}
	}
	if d := metrics.Get(`kafka_sink_records{outcome="delivered"}`); d != int64(len(recs)) {
		t.Errorf("delivered counter %d, topic has %d\n%s", d, len(recs), metrics.Dump("kafka_sink"))
	}
	if n := metrics.Get(`kafka_sink_records{outcome="nacked"}`); n != int64(len(want)) {
		t.Errorf("nacked counter %d, want %d\n%s", n, len(want), metrics.Dump("kafka_sink"))
	}
	if e := metrics.Get(`kafka_sink_errors{stage="PRODUCE",reason="message_too_large"}`); e != 5 {
		t.Errorf("message_too_large errors %d, want 5\n%s", e, metrics.Dump("kafka_sink"))
	}
}
