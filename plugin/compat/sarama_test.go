package compat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// Redpanda Connect's kafka output, unchanged: keys land where Sarama put
// them, every metadata value and static header becomes a header, and the
// SASL object in Sarama's shape logs in.
func TestSaramaOutput(t *testing.T) {
	const parts = 5
	c := kafkatest.Cluster(t, kfake.SeedTopics(parts, "s"), kfake.EnableSASL(), kfake.Superuser("PLAIN", "u", "p"))
	b := service.NewStreamBuilder()
	if err := b.SetYAML(fmt.Sprintf(`
input:
  generate:
    count: 500
    interval: ""
    mapping: |
      let n = counter()
      root = {"n": $n}
      meta id = "order-" + $n.string()
output:
  kafka:
    addresses: [ %s ]
    topic: s
    key: ${! @id }
    static_headers:
      origin: sarama
    sasl:
      mechanism: PLAIN
      user: u
      password: p
logger: { level: warn }
`, kafkatest.Brokers(c))); err != nil {
		t.Fatal(err)
	}
	st, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := st.Run(ctx); err != nil {
		t.Fatal(err)
	}
	recs := kafkatest.ReadAll(t, c, "s", kgo.SASL(saslPlain()))
	if len(recs) != 500 {
		t.Fatalf("read %d records, want 500", len(recs))
	}
	for _, r := range recs {
		if want := kafkatest.SaramaPartition(r.Key, parts); r.Partition != want {
			t.Fatalf("key %s on partition %d, Sarama puts it on %d", r.Key, r.Partition, want)
		}
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		if h["id"] != string(r.Key) || h["origin"] != "sarama" {
			t.Fatalf("headers %v: want the id metadata and the static header as written", h)
		}
	}
}

func saslPlain() sasl.Mechanism { return plain.Auth{User: "u", Pass: "p"}.AsMechanism() }

// Redpanda Connect's kafka input, unchanged: a group reads a topic from
// its oldest record and commits what was acknowledged.
func TestSaramaInput(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "in"))
	cl := kafkatest.Client(t, c)
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, &kgo.Record{Topic: "in", Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	in := ownedInput(t, fmt.Sprintf("  kafka:\n    addresses: [ %s ]\n    topics: [ in ]\n    consumer_group: sarama-group\n    group: { session_timeout: 6s }\n", kafkatest.Brokers(c)))
	seen := map[string]bool{}
	for len(seen) < 30 {
		b, ack, ok := readWithin(t, in, 20*time.Second)
		if !ok {
			t.Fatalf("read %d of 30 records", len(seen))
		}
		for _, m := range b {
			raw, _ := m.AsBytes()
			seen[string(raw)] = true
		}
		if err := ack(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
}
