package all_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
)

// orderProto has a field of every kind the issue names: scalars,
// repeated, map, oneof, a nested message, an enum and the well-known
// types.
const orderProto = `syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
message Order {
  string id = 1;
  int64 amount = 2;
  double rate = 3;
  bool paid = 4;
  bytes sig = 5;
  Status status = 6;
  repeated string tags = 7;
  map<string, int32> counts = 8;
  oneof payment { string card = 9; Transfer transfer = 10; }
  Line line = 11;
  google.protobuf.Timestamp created = 12;
  google.protobuf.Duration ttl = 13;
  google.protobuf.StringValue note = 14;
  google.protobuf.Struct attrs = 15;
  message Line { string sku = 1; uint32 qty = 2; }
}
message Transfer { string iban = 1; }
enum Status { STATUS_UNSPECIFIED = 0; STATUS_PAID = 1; STATUS_SHIPPED = 2; }
`

// orderMapping makes order n, in protojson's own form, so what comes out
// of a round trip must equal it.
const orderMapping = `let n = counter()
root = {
  "id": "o-%d".format($n),
  "amount": ($n * 1000000000000).string(),
  "rate": $n.number() / 4,
  "paid": $n % 2 == 0,
  "sig": "AAEC/w==",
  "status": if $n % 2 == 0 { "STATUS_PAID" } else { "STATUS_SHIPPED" },
  "tags": ["t%d".format($n), "x"],
  "counts": {"a": $n, "b": 1},
  "line": {"sku": "s%d".format($n), "qty": $n},
  "created": "2026-11-23T10:00:00.123Z",
  "ttl": "1.500s",
  "note": "n%d".format($n),
  "attrs": {"fragile": true, "floor": $n, "names": ["a", null]}
}
root = if $n % 3 == 0 { root.merge({"card": "4242"}) } else { root.merge({"transfer": {"iban": "FR%d".format($n)}}) }
`

// Protobuf values through every place that takes a serializer: kafka_sink
// writes Confluent Protobuf; kafka_source reads it by schema ID; the
// processors turn it into plain Protobuf and back; a second sink writes
// it again under the record_name subject. What a reader decodes at each
// end is what was generated.
func TestProtobufThroughPipeline(t *testing.T) {
	const n = 60
	reg := srfake.New()
	defer reg.Close()
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "orders", "orders-copy"))
	schema, _ := json.Marshal(orderProto)

	kafkatest.RunStream(t, nil, fmt.Sprintf(`
input:
  generate:
    count: %[1]d
    interval: ""
    mapping: %[4]q
output:
  kafka_sink:
    seed_brokers: [ %[2]s ]
    topic: orders
    key: '${! json("id") }'
    value_serializer:
      type: protobuf_confluent
      schema: %[3]s
      message: shop.v1.Order
      schema_registry: { url: %[5]s }
logger:
  level: warn
`, n, kafkatest.Brokers(c), schema, orderMapping, reg.URL()), 30*time.Second)

	env, metrics := kafkatest.NewEnvWithMetrics()
	kafkatest.RunUntil(t, env, metrics, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ orders ]
    consumer_group: copy
    value_deserializer:
      type: protobuf_confluent
      use_proto_names: true
      schema_registry: { url: %[2]s }
    on_deserialize_error: fail
pipeline:
  processors:
    - serialize: { type: protobuf, schema: %[3]s }
    - deserialize: { type: protobuf, schema: %[3]s }
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: orders-copy
    key: '${! @kafka_key }'
    value_serializer:
      type: protobuf_confluent
      schema: %[3]s
      subject_strategy: record_name
      schema_registry: { url: %[2]s }
metrics:
  capture: {}
logger:
  level: warn
`, kafkatest.Brokers(c), reg.URL(), schema), "the copy to finish", 30*time.Second, func() bool {
		return metrics.Get(`kafka_sink_records{outcome="delivered"}`) >= n
	})

	ctx := context.Background()
	dec, err := serde.New(serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for i := 1; i <= n; i++ {
		want[fmt.Sprintf("o-%d", i)] = expectedOrder(i)
	}
	for _, topic := range []string{"orders", "orders-copy"} {
		recs := kafkatest.ReadAll(t, c, topic)
		if len(recs) != n {
			t.Fatalf("%s holds %d records, want %d", topic, len(recs), n)
		}
		for _, r := range recs {
			js, err := dec.Deserialize(ctx, serde.Target{Topic: topic}, r.Value)
			if err != nil {
				t.Fatalf("%s %s: %v", topic, r.Key, err)
			}
			var got any
			if err := json.Unmarshal(js, &got); err != nil {
				t.Fatal(err)
			}
			if w := want[string(r.Key)]; !reflect.DeepEqual(got, w) {
				t.Fatalf("%s key %s:\n got  %s\n want %v", topic, r.Key, js, w)
			}
		}
	}
	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	subjects, err := cl.Subjects(ctx)
	if err != nil || fmt.Sprint(subjects) != "[orders-value shop.v1.Order]" {
		t.Fatalf("subjects %v %v", subjects, err)
	}
}

// expectedOrder is what orderMapping makes for counter value i.
func expectedOrder(i int) any {
	status := "STATUS_SHIPPED"
	if i%2 == 0 {
		status = "STATUS_PAID"
	}
	o := map[string]any{
		"id": fmt.Sprintf("o-%d", i), "amount": fmt.Sprint(i * 1000000000000), "rate": float64(i) / 4,
		"sig": "AAEC/w==", "status": status, "tags": []any{fmt.Sprintf("t%d", i), "x"},
		"counts":  map[string]any{"a": float64(i), "b": float64(1)},
		"line":    map[string]any{"sku": fmt.Sprintf("s%d", i), "qty": float64(i)},
		"created": "2026-11-23T10:00:00.123Z", "ttl": "1.500s", "note": fmt.Sprintf("n%d", i),
		"attrs": map[string]any{"fragile": true, "floor": float64(i), "names": []any{"a", nil}},
	}
	if i%2 == 0 {
		o["paid"] = true // proto3 leaves false out
	}
	if i%3 == 0 {
		o["card"] = "4242"
	} else {
		o["transfer"] = map[string]any{"iban": fmt.Sprintf("FR%d", i)}
	}
	return o
}

const orderJSONSchema = `{"title":"shop.Order","type":"object","properties":{"id":{"type":"integer","minimum":1},"customer":{"type":"string"}},"required":["id","customer"]}`

// JSON Schema: the sink delivers what validates and dead-letters what
// does not, with the validation error in the dead letter's headers; the
// source, validating, dead-letters a record some other producer wrote
// without checking it.
func TestJSONSchemaDeadLetters(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "orders", "orders.dlq", "in.dlq"))
	env, metrics := kafkatest.NewEnvWithMetrics()
	kafkatest.RunStream(t, env, fmt.Sprintf(`
input:
  generate:
    count: 20
    interval: ""
    mapping: |
      let n = counter()
      root = {"id": if $n %% 4 == 0 { 0 } else { $n }, "customer": "c%%d".format($n)}
output:
  label: orders_out
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: orders
    value_serializer:
      type: json_schema_confluent
      schema: '%[2]s'
      schema_registry: { url: %[3]s }
    dlq:
      topic: orders.dlq
metrics:
  capture: {}
logger:
  level: error
`, kafkatest.Brokers(c), orderJSONSchema, reg.URL()), 30*time.Second)
	if d, dl := metrics.Get(`kafka_sink_records{outcome="delivered"}`), metrics.Get(`kafka_sink_records{outcome="dead_lettered"}`); d != 15 || dl != 5 {
		t.Fatalf("delivered %d, dead-lettered %d; want 15 and 5\n%s", d, dl, metrics.Dump("kafka_"))
	}
	dec, err := serde.New(serde.Config{Type: "json_schema_confluent", DecodeOnly: true, Validate: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := kafkatest.ReadAll(t, c, "orders")
	for _, r := range good {
		if _, err := dec.Deserialize(ctx, serde.Target{Topic: "orders"}, r.Value); err != nil {
			t.Fatalf("delivered %q: %v", r.Value, err)
		}
	}
	dead := kafkatest.ReadAll(t, c, "orders.dlq")
	if len(good) != 15 || len(dead) != 5 {
		t.Fatalf("%d delivered, %d dead letters", len(good), len(dead))
	}
	for _, r := range dead {
		h := headers(r)
		if !strings.Contains(h[dlq.HeaderExceptionMsg], `at "/id": minimum: got 0, want 1`) ||
			h[dlq.HeaderExceptionClass] != "org.apache.kafka.common.errors.SerializationException" ||
			h[dlq.HeaderConnectorName] != "orders_out" {
			t.Errorf("dead letter %s: headers %v", r.Value, h)
		}
	}

	// A record written around the serializer: the Confluent header of the
	// registered schema, then a document that does not validate.
	id := int(good[0].Value[4]) | int(good[0].Value[3])<<8
	forged := append(confluent.AppendHeader(nil, id), `{"id":-5,"customer":"x"}`...)
	cl := kafkatest.Client(t, c)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Key: []byte("forged"), Value: forged}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	env, metrics = kafkatest.NewEnvWithMetrics()
	kafkatest.RunUntil(t, env, metrics, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ orders ]
    consumer_group: check
    value_deserializer:
      type: json_schema_confluent
      validate: true
      schema_registry: { url: %[2]s }
    on_deserialize_error: dlq
    dlq: { topic: in.dlq }
output:
  drop: {}
metrics:
  capture: {}
logger:
  level: error
`, kafkatest.Brokers(c), reg.URL()), "the source to finish", 30*time.Second, func() bool {
		return metrics.Get(`kafka_source_records{outcome="delivered"}`) >= 15 && metrics.Get(`kafka_source_records{outcome="dead_lettered"}`) >= 1
	})
	in := kafkatest.ReadAll(t, c, "in.dlq")
	if len(in) != 1 || string(in[0].Key) != "forged" || !strings.Contains(headers(in[0])[dlq.HeaderExceptionMsg], `at "/id": minimum: got -5, want 1`) {
		t.Fatalf("source dead letters: %d, %v", len(in), in)
	}
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, hd := range r.Headers {
		h[hd.Key] = string(hd.Value)
	}
	return h
}
