package oracle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/jsonschema"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
)

// kafka_sink writes Avro with a reference, Protobuf with an import and
// JSON Schema, framed in the payload and in a header; Confluent's
// deserializers read every record back to the value Ferry was given. For
// Avro and JSON Schema, whose bytes the format fixes, Confluent's
// serializer writes the same value to the same bytes and headers.
func TestFerryWritesConfluentReads(t *testing.T) {
	c := dev(t, "payload-people", "payload-orders", "payload-events", "header-people", "header-orders", "header-events")
	cl := registry(t, c)
	if _, err := cl.Register("acme.Address", schemaregistry.SchemaInfo{Schema: addressAvro}, false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"shop/v1/order.proto": orderProto, "shop/v1/common.proto": commonProto} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stanzas := map[string]string{
		"people": fmt.Sprintf(`{ type: avro_confluent, schema: %q, references: [ { name: acme.Address, subject: acme.Address } ] }`, personAvro),
		"orders": fmt.Sprintf(`{ type: protobuf_confluent, schema_file: %q, import_paths: [ %q ], message: shop.v1.Order }`, filepath.Join(dir, "shop/v1/order.proto"), dir),
		"events": fmt.Sprintf(`{ type: json_schema_confluent, schema: %q }`, eventJSONSchema),
	}
	values := map[string][]string{"people": people, "orders": orders, "events": events}
	for _, framing := range []string{"payload", "header"} {
		for kind, stanza := range stanzas {
			topic := framing + "-" + kind
			stanza = strings.TrimSuffix(stanza, " }") + fmt.Sprintf(", schema_id_location: %s, schema_registry: { url: %s } }", framing, c.RegistryURL())
			pipeline.Run(t, fmt.Sprintf(`
input:
  generate: { count: %d, interval: "", mapping: 'root = %s.index(counter() - 1)' }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: %s
    max_in_flight: 1
    value_serializer: %s
`, len(values[kind]), "["+strings.Join(values[kind], ",")+"]", c.Brokers()[0], topic, stanza), 30*time.Second)
			recs := consume(t, c, topic, len(values[kind]))
			for i, r := range recs {
				got := confluentReads(t, cl, kind, topic, confluentHeaders(r), r.Value)
				jsonEqual(t, topic, got, []byte(values[kind][i]))
				if _, has := headerValue(r.Headers, "__value_schema_id"); has != (framing == "header") {
					t.Errorf("%s: schema header present %v", topic, has)
				}
				if kind != "orders" {
					sameBytes(t, cl, kind, topic, framing, values[kind][i], confluentHeaders(r), r.Value)
				}
			}
		}
	}
}

func headerValue(hs []kgo.RecordHeader, key string) ([]byte, bool) {
	for _, h := range hs {
		if h.Key == key {
			return h.Value, true
		}
	}
	return nil, false
}

// confluentReads decodes a record with Confluent's deserializer for kind,
// as JSON.
func confluentReads(t *testing.T, cl schemaregistry.Client, kind, topic string, hs []kafka.Header, value []byte) []byte {
	t.Helper()
	var v any
	var err error
	switch kind {
	case "people", "events":
		var d interface {
			DeserializeWithHeadersInto(string, []kafka.Header, []byte, any) error
		}
		var derr error
		if kind == "people" {
			d, derr = avrov2.NewDeserializer(cl, serde.ValueSerde, avrov2.NewDeserializerConfig())
		} else {
			d, derr = jsonschema.NewDeserializer(cl, serde.ValueSerde, jsonschema.NewDeserializerConfig())
		}
		if derr != nil {
			t.Fatal(derr)
		}
		var m map[string]any
		err = d.DeserializeWithHeadersInto(topic, hs, value, &m)
		v = m
	case "orders":
		d, derr := protobuf.NewDeserializer(cl, serde.ValueSerde, protobuf.NewDeserializerConfig())
		if derr != nil {
			t.Fatal(derr)
		}
		md := compileProto(t, map[string]string{"shop/v1/order.proto": orderProto, "shop/v1/common.proto": commonProto}, "shop/v1/order.proto", "shop.v1.Order")
		if err := d.ProtoRegistry.RegisterMessage(dynamicpb.NewMessageType(md)); err != nil {
			t.Fatal(err)
		}
		m, derr := d.DeserializeWithHeaders(topic, hs, value)
		if derr != nil {
			t.Fatalf("%s: Confluent's deserializer: %v", topic, derr)
		}
		b, merr := protojson.Marshal(m.(proto.Message))
		if merr != nil {
			t.Fatal(merr)
		}
		return b
	}
	if err != nil {
		t.Fatalf("%s: Confluent's deserializer: %v", topic, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameBytes has Confluent's serializer write value with the subject's
// latest schema and the same framing, and compares.
func sameBytes(t *testing.T, cl schemaregistry.Client, kind, topic, framing, value string, hs []kafka.Header, data []byte) {
	t.Helper()
	var v map[string]any
	_ = json.Unmarshal([]byte(value), &v)
	var ser serde.Serializer
	var base *serde.BaseSerializer // where the framing is chosen
	switch kind {
	case "people":
		v["age"] = int(v["age"].(float64))
		conf := avrov2.NewSerializerConfig()
		conf.AutoRegisterSchemas, conf.UseLatestVersion = false, true
		s, err := avrov2.NewSerializer(cl, serde.ValueSerde, conf)
		if err != nil {
			t.Fatal(err)
		}
		ser, base = s, &s.BaseSerializer
	case "events":
		conf := jsonschema.NewSerializerConfig()
		conf.AutoRegisterSchemas, conf.UseLatestVersion = false, true
		s, err := jsonschema.NewSerializer(cl, serde.ValueSerde, conf)
		if err != nil {
			t.Fatal(err)
		}
		ser, base = s, &s.BaseSerializer
	}
	if framing == "header" {
		base.SchemaIDSerializer = serde.HeaderSchemaIDSerializer
	}
	wantHs, want, err := ser.SerializeWithHeaders(topic, &v)
	if err != nil {
		t.Fatalf("%s: Confluent's serializer: %v", topic, err)
	}
	if kind == "events" {
		// JSON's bytes are the document's; Go's encoder sorts keys where
		// the generator kept the mapping's order. The framing must match.
		want, data = frameOf(want, framing), frameOf(data, framing)
	}
	if !bytes.Equal(want, data) || fmt.Sprint(wantHs) != fmt.Sprint(hs) {
		t.Errorf("%s %s:\n Ferry     %x %v\n Confluent %x %v", topic, value, data, hs, want, wantHs)
	}
}

// frameOf is a JSON Schema record's framing: the 5-byte prefix, or
// nothing when the schema is named in a header.
func frameOf(b []byte, framing string) []byte {
	if framing == "header" {
		return nil
	}
	return b[:5]
}
