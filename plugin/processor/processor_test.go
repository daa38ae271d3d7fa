package processor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	_ "github.com/ferry-connect/ferry/plugin/all"
	"github.com/ferry-connect/ferry/serde/confluent"
)

// decodeThrough runs payloads through a pipeline of the given processors
// and returns the results and their errors, in order.
func runProcessors(t *testing.T, processors string, payloads [][]byte) (out []string, errs []string) {
	t.Helper()
	b := service.NewStreamBuilder()
	if err := b.AddProcessorYAML(processors); err != nil {
		t.Fatal(err)
	}
	send, err := b.AddBatchProducerFunc()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	if err := b.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range batch {
			v, _ := m.AsBytes()
			out = append(out, string(v))
			e := ""
			if err := m.GetError(); err != nil {
				e = err.Error()
			}
			errs = append(errs, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoggerYAML("level: none"); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var batch service.MessageBatch
	for _, p := range payloads {
		m := service.NewMessage(p)
		m.MetaSetMut("kafka_topic", "orders-avro")
		batch = append(batch, m)
	}
	if err := send(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	return out, errs
}

// The example pipeline writes Avro keys and Confluent-framed Avro values;
// the deserialize processor reads the values back to the same orders.
func TestAvroOrdersExample(t *testing.T) {
	c, reg := runExample(t, "avro_orders.yaml", "orders-avro")

	recs := kafkatest.ReadAll(t, c, "orders-avro")
	if len(recs) != 1000 {
		t.Fatalf("topic has %d records, want 1000", len(recs))
	}
	ss, ok := reg.GetSchema("orders-avro-value", 1)
	if !ok {
		t.Fatal("value schema not registered under orders-avro-value")
	}
	for _, r := range recs {
		id, _, err := confluent.ParseHeader(r.Value)
		if err != nil || id != ss.ID {
			t.Fatalf("value not framed with schema %d: %x (%v)", ss.ID, r.Value[:min(8, len(r.Value))], err)
		}
		// Plain Avro string key: zig-zag length then the bytes.
		if len(r.Key) != 9 || r.Key[0] != 16 || !strings.HasPrefix(string(r.Key[1:]), "cust-") {
			t.Fatalf("key %x is not the Avro string of a customer id", r.Key)
		}
	}
	// Read the topic back with kafka_source (Avro keys decoded into
	// kafka_key) and decode the values with the deserialize processor.
	var mu sync.Mutex
	seen := map[string]bool{}
	keysOK := true
	b2 := service.NewStreamBuilder()
	_ = b2.SetLoggerYAML("level: warn")
	if err := b2.AddInputYAML(fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ orders-avro ]
  key_deserializer:
    type: avro
    schema: '"string"'
`, kafkatest.Brokers(c))); err != nil {
		t.Fatal(err)
	}
	if err := b2.AddProcessorYAML(fmt.Sprintf(`
deserialize:
  type: avro_confluent
  schema_registry:
    url: [ %s ]
`, reg.URL())); err != nil {
		t.Fatal(err)
	}
	var failures []string
	if err := b2.AddBatchConsumerFunc(func(_ context.Context, batch service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range batch {
			if err := m.GetError(); err != nil {
				failures = append(failures, err.Error())
				continue
			}
			v, _ := m.AsBytes()
			o := string(v)
			if !strings.Contains(o, `"order_id":"ord-`) || !strings.Contains(o, `"currency":"EUR"`) || !strings.Contains(o, `"total":"`) {
				failures = append(failures, "decoded "+o)
				continue
			}
			k, _ := m.MetaGet("kafka_key")
			if !strings.HasPrefix(k, "cust-") || !strings.Contains(o, `"id":"`+k+`"`) {
				keysOK = false
			}
			seen[o[strings.Index(o, "ord-"):strings.Index(o, "ord-")+10]] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := b2.Build()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n, f := len(seen), len(failures)
		mu.Unlock()
		if n == 1000 || f > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = s.Stop(ctx)
	<-done
	if len(failures) > 0 {
		t.Fatalf("%d failures, first: %s", len(failures), failures[0])
	}
	if len(seen) != 1000 || !keysOK {
		t.Errorf("%d distinct orders decoded (want 1000); keys match customers: %v", len(seen), keysOK)
	}
}

// A payload that does not fit flags only that message; the others go on.
func TestSerializeFlagsFailuresOnly(t *testing.T) {
	out, errs := runProcessors(t, `
serialize:
  type: avro
  schema: '{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}'
`, [][]byte{[]byte(`{"x":1}`), []byte(`{"x":"one"}`), []byte(`{"x":2}`)})
	if len(out) != 3 || errs[0] != "" || errs[2] != "" {
		t.Fatalf("out %q errs %q", out, errs)
	}
	if !strings.Contains(errs[1], "serialize: at .x: expected int, got a string") {
		t.Errorf("error %q", errs[1])
	}
	if out[0] != "\x02" || out[2] != "\x04" || out[1] != `{"x":"one"}` {
		t.Errorf("out %q", out)
	}
	back, berrs := runProcessors(t, `
deserialize:
  type: avro
  schema: '{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}'
`, [][]byte{[]byte(out[0]), []byte("\x80"), []byte(out[2])})
	if back[0] != `{"x":1}` || back[2] != `{"x":2}` || !strings.Contains(berrs[1], "truncated") {
		t.Errorf("deserialize: %q %q", back, berrs)
	}
}

// Redpanda Connect's spellings of the registry settings run: url as a
// string, as a comma-separated string, and basic_auth with enabled.
func TestRedpandaConnectRegistrySpellings(t *testing.T) {
	reg := srfake.New(srfake.WithAuth("Basic dXNlcjpwYXNz")) // user:pass
	defer reg.Close()
	for name, url := range map[string]string{
		"string":                 reg.URL(),
		"comma-separated string": reg.URL() + "," + reg.URL(),
	} {
		t.Run(name, func(t *testing.T) {
			enc, errs := runProcessors(t, fmt.Sprintf(`
serialize:
  type: avro_confluent
  topic: orders
  schema: '{"type":"record","name":"O","fields":[{"name":"id","type":"long"}]}'
  schema_registry:
    url: %q
    basic_auth: { enabled: true, username: user, password: pass }
`, url), [][]byte{[]byte(`{"id":7}`)})
			if len(enc) != 1 || errs[0] != "" {
				t.Fatalf("serialize: %q %q", enc, errs)
			}
			out, errs := runProcessors(t, fmt.Sprintf(`
deserialize:
  type: avro_confluent
  topic: orders
  schema_registry:
    url: %q
    basic_auth: { enabled: true, username: user, password: pass }
`, url), [][]byte{[]byte(enc[0])})
			if len(out) != 1 || out[0] != `{"id":7}` || errs[0] != "" {
				t.Fatalf("round trip gave %q, errors %q", out, errs)
			}
		})
	}
	// enabled: false sends no credentials, whatever username says.
	_, errs := runProcessors(t, fmt.Sprintf(`
serialize:
  type: avro_confluent
  topic: orders
  schema: '"long"'
  schema_registry:
    url: %q
    basic_auth: { enabled: false, username: user, password: pass }
`, reg.URL()), [][]byte{[]byte(`1`)})
	if len(errs) != 1 || !strings.Contains(errs[0], "Authorization") {
		t.Fatalf("basic_auth.enabled: false still authenticated: %q", errs)
	}
}

// runExample runs config/examples/<name> to its end against a cluster
// with topic and a registry, as its comment says to run it: from the
// repository's root (its schema files are relative to it), with
// KAFKA_BROKERS and SCHEMA_REGISTRY_URL set.
func runExample(t *testing.T, name, topic string) (*kfake.Cluster, *srfake.Registry) {
	t.Helper()
	c := kafkatest.Cluster(t, kfake.SeedTopics(4, topic))
	reg := srfake.New()
	t.Cleanup(reg.Close)
	t.Setenv("KAFKA_BROKERS", kafkatest.Brokers(c))
	t.Setenv("SCHEMA_REGISTRY_URL", reg.URL())
	root := filepath.Join("..", "..")
	conf, err := os.ReadFile(filepath.Join(root, "config", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	kafkatest.RunStream(t, nil, string(conf)+"\nlogger: {level: warn}\n", time.Minute)
	return c, reg
}
