package mixed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	_ "github.com/ferry-connect/ferry/serde/mixed"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// One decoder reads a topic of Avro, Protobuf and JSON Schema values,
// each framed either way, by asking the registry each schema's language.
func TestSchemaRegistryDecodesEveryFormat(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	urls := serde.RegistryConfig{URLs: []string{reg.URL()}}
	writers := []struct {
		cfg  serde.Config
		in   string
		want string
	}{
		{serde.Config{Type: "avro_confluent", Schema: `{"type":"record","name":"A","fields":[{"name":"a","type":"long"}]}`, Subject: "a"}, `{"a":1}`, `{"a":1}`},
		{serde.Config{Type: "protobuf_confluent", Schema: `syntax = "proto3"; message P { string p = 1; }`, Subject: "p"}, `{"p":"x"}`, `{"p":"x"}`},
		{serde.Config{Type: "json_schema_confluent", Schema: `{"type":"object","properties":{"j":{"type":"boolean"}}}`, Subject: "j"}, `{"j": true}`, `{"j": true}`},
	}
	dec := serdetest.MustCodec(t, serde.Config{Type: "schema_registry", DecodeOnly: true, Registry: urls})
	for _, framing := range []string{confluent.FramingPayload, confluent.FramingHeader} {
		for _, w := range writers {
			w.cfg.AutoRegister, w.cfg.Registry, w.cfg.SchemaIDLocation = true, urls, framing
			enc := serdetest.MustCodec(t, w.cfg)
			var hs serde.HeaderList
			data, err := enc.Serialize(ctx, serde.Target{Topic: "mixed", Headers: &hs}, []byte(w.in))
			if err != nil {
				t.Fatal(err)
			}
			out, err := dec.Deserialize(ctx, serde.Target{Topic: "mixed", Headers: &hs}, data)
			if err != nil || string(out) != w.want {
				t.Errorf("%s (%s): %s, %v", w.cfg.Type, framing, out, err)
			}
		}
	}
	if _, err := dec.Serialize(ctx, serde.Target{}, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "decode only") {
		t.Errorf("serialize: %v", err)
	}
	if _, err := serde.New(serde.Config{Type: "schema_registry", Schema: "{}", Registry: urls}); err == nil {
		t.Error("a local schema was taken")
	}
}

// Encoding takes the format from the subject's latest schema.
func TestSchemaRegistryEncodesInTheLatestFormat(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	urls := serde.RegistryConfig{URLs: []string{reg.URL()}}
	if _, err := serde.New(serde.Config{Type: "schema_registry", Registry: urls}); err == nil || !strings.Contains(err.Error(), "use_latest") {
		t.Fatalf("without use_latest: %v", err)
	}
	schemas := map[string]sr.Schema{
		"a-value": {Schema: `{"type":"record","name":"A","fields":[{"name":"a","type":"long"}]}`},
		"p-value": {Type: sr.TypeProtobuf, Schema: `syntax = "proto3"; message X { int32 x = 1; } message P { string p = 1; }`},
		"j-value": {Type: sr.TypeJSON, Schema: `{"type":"object","properties":{"j":{"type":"boolean"}},"required":["j"]}`},
	}
	for subject, s := range schemas {
		if _, _, err := reg.RegisterSchema(subject, s); err != nil {
			t.Fatal(err)
		}
	}
	enc := serdetest.MustCodec(t, serde.Config{Type: "schema_registry", UseLatest: true, AnyMessage: true, Registry: urls, JSON: serde.JSONOptions{Goavro: true}})
	dec := serdetest.MustCodec(t, serde.Config{Type: "schema_registry", DecodeOnly: true, Registry: urls})
	for topic, in := range map[string]string{"a": `{"a":1}`, "p": `{"p":"x"}`, "j": `{"j":true}`} {
		data, err := enc.Serialize(ctx, serde.Target{Topic: topic}, []byte(in))
		if err != nil {
			t.Fatalf("%s: %v", topic, err)
		}
		out, err := dec.Deserialize(ctx, serde.Target{Topic: topic}, data)
		if err != nil || string(out) != in {
			t.Errorf("%s: %s, %v", topic, out, err)
		}
	}
	// P is the schema's second message: its index is [1].
	data, _ := enc.Serialize(ctx, serde.Target{Topic: "p"}, []byte(`{"p":"x"}`))
	if data[5] != 2 || data[6] != 2 {
		t.Errorf("message indexes %x", data[5:7])
	}
	if _, err := enc.Serialize(ctx, serde.Target{Topic: "j"}, []byte(`{}`)); err == nil {
		t.Error("a document the JSON Schema refuses was encoded")
	}
}
