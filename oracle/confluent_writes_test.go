package oracle

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/avrov2"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/jsonschema"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
)

// Confluent's serializers write Avro with a reference, Protobuf with an
// import and JSON Schema, each framed in the payload (schema ID) and in a
// header (schema GUID); one kafka_source stanza of type schema_registry
// reads all of them back to the values written.
func TestConfluentWritesFerryReads(t *testing.T) {
	c := dev(t, "people", "orders", "events")
	cl := registry(t, c)
	if _, err := cl.Register("acme.Address", schemaregistry.SchemaInfo{Schema: addressAvro}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Register("people-value", schemaregistry.SchemaInfo{Schema: personAvro,
		References: []schemaregistry.Reference{{Name: "acme.Address", Subject: "acme.Address", Version: 1}}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Register("events-value", schemaregistry.SchemaInfo{Schema: eventJSONSchema, SchemaType: "JSON"}, false); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, header := range []bool{false, true} {
		produce(t, c, "people", writeAvro(t, cl, header))
		produce(t, c, "orders", writeProtobuf(t, cl, header))
		produce(t, c, "events", writeJSON(t, cl, header))
		want = append(append(append(want, people...), orders...), events...)
	}
	got := pipeline.Collect(t, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  topics: [ people, orders, events ]
  consumer_group: oracle
  value_deserializer:
    type: schema_registry
    schema_registry: { url: %s }
  on_deserialize_error: fail
`, c.Brokers()[0], c.RegistryURL()), len(want), 30*time.Second)
	gotJSON := make([]string, len(got))
	for i, m := range got {
		if err := m.GetError(); err != nil {
			t.Fatalf("message %d failed: %v", i, err)
		}
		b, _ := m.AsBytes()
		gotJSON[i] = canonical(t, b)
	}
	for i := range want {
		want[i] = canonical(t, []byte(want[i]))
	}
	sort.Strings(gotJSON)
	sort.Strings(want)
	for i := range want {
		if gotJSON[i] != want[i] {
			t.Fatalf("Ferry read:\n %v\nwant:\n %v", gotJSON, want)
		}
	}
}

// canonical re-marshals JSON, so texts of one value compare equal.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func serializerConf(header bool) (*serde.SerializerConfig, serde.SchemaIDSerializerFunc) {
	conf := serde.NewSerializerConfig()
	conf.AutoRegisterSchemas = false
	conf.UseLatestVersion = true
	f := serde.PrefixSchemaIDSerializer
	if header {
		f = serde.HeaderSchemaIDSerializer
	}
	return conf, f
}

func writeAvro(t *testing.T, cl schemaregistry.Client, header bool) []record {
	t.Helper()
	conf := avrov2.NewSerializerConfig()
	base, idf := serializerConf(header)
	conf.SerializerConfig = *base
	ser, err := avrov2.NewSerializer(cl, serde.ValueSerde, conf)
	if err != nil {
		t.Fatal(err)
	}
	ser.SchemaIDSerializer = idf
	var out []record
	for _, p := range people {
		var v map[string]any
		_ = json.Unmarshal([]byte(p), &v)
		v["age"] = int(v["age"].(float64))
		hs, b, err := ser.SerializeWithHeaders("people", &v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{hs, b})
	}
	return out
}

func writeProtobuf(t *testing.T, cl schemaregistry.Client, header bool) []record {
	t.Helper()
	md := compileProto(t, map[string]string{"shop/v1/order.proto": orderProto, "shop/v1/common.proto": commonProto}, "shop/v1/order.proto", "shop.v1.Order")
	conf := protobuf.NewSerializerConfig()
	base, idf := serializerConf(header)
	conf.SerializerConfig = *base
	conf.AutoRegisterSchemas, conf.UseLatestVersion = true, false
	ser, err := protobuf.NewSerializer(cl, serde.ValueSerde, conf)
	if err != nil {
		t.Fatal(err)
	}
	ser.SchemaIDSerializer = idf
	var out []record
	for _, o := range orders {
		m := dynamicpb.NewMessage(md)
		if err := protojson.Unmarshal([]byte(o), m); err != nil {
			t.Fatal(err)
		}
		hs, b, err := ser.SerializeWithHeaders("orders", m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{hs, b})
	}
	return out
}

func writeJSON(t *testing.T, cl schemaregistry.Client, header bool) []record {
	t.Helper()
	conf := jsonschema.NewSerializerConfig()
	base, idf := serializerConf(header)
	conf.SerializerConfig = *base
	ser, err := jsonschema.NewSerializer(cl, serde.ValueSerde, conf)
	if err != nil {
		t.Fatal(err)
	}
	ser.SchemaIDSerializer = idf
	var out []record
	for _, e := range events {
		var v map[string]any
		_ = json.Unmarshal([]byte(e), &v)
		hs, b, err := ser.SerializeWithHeaders("events", &v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{hs, b})
	}
	return out
}
