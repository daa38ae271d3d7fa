package mixed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	_ "github.com/ferry-connect/ferry/serde/mixed"
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
	if _, err := dec.Serialize(ctx, serde.Target{}, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "decodes only") {
		t.Errorf("serialize: %v", err)
	}
	if _, err := serde.New(serde.Config{Type: "schema_registry", Schema: "{}", Registry: urls}); err == nil {
		t.Error("a local schema was taken")
	}
}
