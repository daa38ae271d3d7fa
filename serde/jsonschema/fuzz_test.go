package jsonschema

import (
	"context"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func FuzzJSONSchemaDecode(f *testing.F) {
	c, err := serde.New(serde.Config{Type: "json_schema", Schema: orderJSONSchema, Validate: true})
	if err != nil {
		f.Fatal(err)
	}
	serdetest.RoundTrip(f, c, []byte(`{"id":7,"customer":"acme","tags":["a"]}`), []byte(`{"id":0}`), []byte(`{"id":1e400,"customer":"x"}`), []byte(`"\ud800"`))
}

func FuzzJSONSchemaConfluentDecode(f *testing.F) {
	reg := srfake.New()
	f.Cleanup(reg.Close)
	c, err := serde.New(serde.Config{Type: "json_schema_confluent", Schema: orderJSONSchema, AutoRegister: true, Validate: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.Serialize(context.Background(), serde.Target{Topic: "t"}, []byte(`{"id":7,"customer":"acme"}`))
	if err != nil {
		f.Fatal(err)
	}
	serdetest.RoundTrip(f, c, good, good[:6], append(confluent.AppendHeader(nil, 1), `{"id":0}`...))
}
