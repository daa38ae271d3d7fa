package jsonschema

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// orderJSONSchema has no $schema, so it is read as draft-07, as
// Confluent's serializers read it. Draft-07 has no dependentRequired
// (2019-09 added it), so a coupon without tags passes; read as 2020-12,
// the validator's own default, it would fail.
const orderJSONSchema = `{
  "title": "shop.Order",
  "type": "object",
  "properties": {
    "id": {"type": "integer", "minimum": 1},
    "customer": {"type": "string", "minLength": 1},
    "coupon": {"type": "string"},
    "tags": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["id", "customer"],
  "dependentRequired": {"coupon": ["tags"]},
  "additionalProperties": false
}`

func TestJSONSchemaValidates(t *testing.T) {
	ctx := context.Background()
	c := serdetest.MustCodec(t, serde.Config{Type: "json_schema", Schema: orderJSONSchema})
	good := []byte(`{"id":7,"customer":"acme","coupon":"X"}`) // draft-07: dependentRequired does not apply
	out, err := c.Serialize(ctx, serde.Target{}, good)
	if err != nil || !bytes.Equal(out, good) {
		t.Fatalf("valid record: %s %v", out, err)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"id":0,"customer":"acme"}`, `at "/id": minimum: got 0, want 1`},
		{`{"id":1}`, `missing property 'customer'`},
		{`{"id":1,"customer":"a","extra":true}`, `additional properties 'extra' not allowed`},
		{`{"id":"1","customer":""}`, `at "/customer": minLength: got 0, want 1; at "/id": got string, want integer`},
		{`{"id":1,`, `not JSON`},
	} {
		_, err := c.Serialize(ctx, serde.Target{}, []byte(tc.in))
		if !errors.Is(err, serde.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the error spans lines: %q", tc.in, err)
		}
	}
	// Decoding checks only when asked to.
	bad := []byte(`{"id":0,"customer":"acme"}`)
	if out, err := c.Deserialize(ctx, serde.Target{}, bad); err != nil || !bytes.Equal(out, bad) {
		t.Errorf("decode without validate: %s %v", out, err)
	}
	v := serdetest.MustCodec(t, serde.Config{Type: "json_schema", Schema: orderJSONSchema, Validate: true})
	if _, err := v.Deserialize(ctx, serde.Target{}, bad); !errors.Is(err, serde.ErrInvalid) {
		t.Errorf("decode with validate: %v", err)
	}
}

// format is checked for draft-07, as Confluent's validator checks it,
// and not for 2020-12 unless its meta-schema asks.
func TestJSONSchemaFormat(t *testing.T) {
	ctx := context.Background()
	in := []byte(`{"at":"yesterday"}`)
	d7 := serdetest.MustCodec(t, serde.Config{Type: "json_schema", Schema: `{"properties":{"at":{"type":"string","format":"date-time"}}}`})
	if _, err := d7.Serialize(ctx, serde.Target{}, in); !errors.Is(err, serde.ErrInvalid) || !strings.Contains(err.Error(), "date-time") {
		t.Errorf("draft-07: %v", err)
	}
	d2020 := serdetest.MustCodec(t, serde.Config{Type: "json_schema", Schema: `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"at":{"type":"string","format":"date-time"}}}`})
	if _, err := d2020.Serialize(ctx, serde.Target{}, in); err != nil {
		t.Errorf("2020-12: %v", err)
	}
}

func TestJSONSchemaFileRefs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("address.json", `{"type":"object","properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}`)
	write("order.json", `{"type":"object","properties":{"ship_to":{"$ref":"address.json"}}}`)
	c := serdetest.MustCodec(t, serde.Config{Type: "json_schema", SchemaFile: filepath.Join(dir, "order.json")})
	ctx := context.Background()
	if _, err := c.Serialize(ctx, serde.Target{}, []byte(`{"ship_to":{"zip":"69001"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Serialize(ctx, serde.Target{}, []byte(`{"ship_to":{"zip":"Lyon"}}`)); !errors.Is(err, serde.ErrInvalid) || !strings.Contains(err.Error(), "/ship_to/zip") {
		t.Fatalf("a $ref'd file's rule: %v", err)
	}
}

func TestJSONSchemaConfluent(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	enc := serdetest.MustCodec(t, serde.Config{Type: "json_schema_confluent", Schema: orderJSONSchema, AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	in := []byte(`{"id":7,"customer":"acme","tags":["a"]}`)
	data, err := enc.Serialize(ctx, serde.Target{Topic: "orders"}, in)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	ss, err := cl.SchemaByVersion(ctx, "orders-value", -1)
	if err != nil || ss.Type != sr.TypeJSON {
		t.Fatalf("registered: %+v %v", ss, err)
	}
	// The Confluent JSON Schema wire format: 0x00, the ID big-endian, then
	// the document's UTF-8 bytes.
	want := append(confluent.AppendHeader(nil, ss.ID), in...)
	if !bytes.Equal(data, want) {
		t.Fatalf("bytes %x, want %x", data, want)
	}
	if _, err := enc.Serialize(ctx, serde.Target{Topic: "orders"}, []byte(`{"id":-1,"customer":"acme"}`)); !errors.Is(err, serde.ErrInvalid) || !strings.Contains(err.Error(), `"/id"`) {
		t.Fatalf("invalid record: %v", err)
	}

	dec := serdetest.MustCodec(t, serde.Config{Type: "json_schema_confluent", DecodeOnly: true, Validate: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if out, err := dec.Deserialize(ctx, serde.Target{Topic: "orders"}, data); err != nil || !bytes.Equal(out, in) {
		t.Fatalf("decode: %s %v", out, err)
	}
	// A record some other producer wrote unchecked fails validation on read.
	forged := append(confluent.AppendHeader(nil, ss.ID), `{"id":0,"customer":"acme"}`...)
	if _, err := dec.Deserialize(ctx, serde.Target{Topic: "orders"}, forged); !errors.Is(err, serde.ErrInvalid) {
		t.Fatalf("forged record: %v", err)
	}
	if _, err := dec.Deserialize(ctx, serde.Target{}, confluent.AppendHeader(nil, 999)); !errors.Is(err, serde.ErrUnknownSchema) {
		t.Fatalf("unknown ID: %v", err)
	}
	// An Avro schema's ID is not a JSON Schema.
	avroID, err := cl.CreateSchema(ctx, "other", sr.Schema{Schema: `{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Deserialize(ctx, serde.Target{}, append(confluent.AppendHeader(nil, avroID.ID), '{', '}')); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("Avro ID: %v", err)
	}

	// record_name takes the schema's title, as Confluent's serializer does.
	rn := serdetest.MustCodec(t, serde.Config{Type: "json_schema_confluent", Schema: orderJSONSchema, AutoRegister: true, SubjectStrategy: confluent.StrategyTopicRecordName, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if got := rn.(*jsonSchemaConfluentCodec).SubjectFor(serde.Target{Topic: "t"}); got != "t-shop.Order" {
		t.Fatalf("subject %q", got)
	}
}

// A schema that refers to another registered schema (a Confluent schema
// reference) is resolved by the reference's name when decoding.
func TestJSONSchemaConfluentReferences(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	addr, err := cl.CreateSchema(ctx, "address", sr.Schema{Type: sr.TypeJSON, Schema: `{"type":"object","properties":{"zip":{"type":"string","maxLength":5}}}`})
	if err != nil {
		t.Fatal(err)
	}
	main, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{
		Type:       sr.TypeJSON,
		Schema:     `{"type":"object","properties":{"ship_to":{"$ref":"address.json"}}}`,
		References: []sr.SchemaReference{{Name: "address.json", Subject: "address", Version: addr.Version}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dec := serdetest.MustCodec(t, serde.Config{Type: "json_schema_confluent", DecodeOnly: true, Validate: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	ok := append(confluent.AppendHeader(nil, main.ID), `{"ship_to":{"zip":"69001"}}`...)
	if _, err := dec.Deserialize(ctx, serde.Target{}, ok); err != nil {
		t.Fatal(err)
	}
	bad := append(confluent.AppendHeader(nil, main.ID), `{"ship_to":{"zip":"690010"}}`...)
	if _, err := dec.Deserialize(ctx, serde.Target{}, bad); !errors.Is(err, serde.ErrInvalid) || !strings.Contains(err.Error(), "/ship_to/zip") {
		t.Fatalf("the referenced schema's rule: %v", err)
	}
}

func TestJSONSchemaConfig(t *testing.T) {
	for _, tc := range []struct {
		c    serde.Config
		want string
	}{
		{serde.Config{Type: "json_schema"}, "needs a schema"},
		{serde.Config{Type: "json_schema", Schema: `{"type":`}, "not JSON"},
		{serde.Config{Type: "json_schema", Schema: `{"type":"nope"}`}, "invalid JSON Schema"},
		{serde.Config{Type: "json_schema_confluent", Schema: orderJSONSchema}, "needs schema_registry.url"},
		{serde.Config{Type: "json_schema_confluent", Registry: serde.RegistryConfig{URLs: []string{"http://x"}}}, "needs a schema"},
		{serde.Config{Type: "json_schema_confluent", Schema: `{"type":"object"}`, SubjectStrategy: confluent.StrategyRecordName, Registry: serde.RegistryConfig{URLs: []string{"http://x"}}}, "title"},
	} {
		if _, err := serde.New(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.c, err, tc.want)
		}
	}
}
