package protobuf

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
)

// shopProto has every kind of field: scalars, repeated, map, oneof,
// nested messages, an enum and the well-known types.
const shopProto = `syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";

message Order {
  string id = 1;
  int32 i32 = 2;
  int64 i64 = 3;
  uint32 u32 = 4;
  uint64 u64 = 5;
  sint32 s32 = 6;
  sint64 s64 = 7;
  fixed32 f32 = 8;
  fixed64 f64 = 9;
  sfixed32 sf32 = 10;
  sfixed64 sf64 = 11;
  float fl = 12;
  double db = 13;
  bool ok = 14;
  bytes raw = 15;
  Status status = 16;
  repeated string tags = 17;
  repeated Line lines = 18;
  map<string, int64> counts = 19;
  oneof payment {
    string card = 20;
    Transfer transfer = 21;
  }
  google.protobuf.Timestamp created = 22;
  google.protobuf.Duration ttl = 23;
  google.protobuf.StringValue note = 24;
  google.protobuf.Int64Value weight = 25;
  google.protobuf.Struct attrs = 26;
  string order_ref = 27;

  message Line {
    string sku = 1;
    uint32 qty = 2;
  }
}

message Transfer {
  string iban = 1;
  message Bank {
    string bic = 1;
  }
  Bank bank = 2;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_PAID = 1;
  STATUS_SHIPPED = 2;
}
`

// fullOrder sets every field, in protojson's own form (which is what
// decoding writes), so a round trip must give it back exactly.
const fullOrder = `{"id":"o-1","i32":-7,"i64":"-9007199254740993","u32":7,"u64":"18446744073709551615","s32":-3,"s64":"-4","f32":5,"f64":"6","sf32":-8,"sf64":"-9","fl":1.5,"db":-2.25,"ok":true,"raw":"AAEC/w==","status":"STATUS_PAID","tags":["a","b"],"lines":[{"sku":"x","qty":2},{"sku":"y"}],"counts":{"a":"1","b":"2"},"transfer":{"iban":"FR76","bank":{"bic":"AGRIFRPP"}},"created":"2026-11-23T10:00:00.123Z","ttl":"3.500s","note":"leave it","weight":"1200","attrs":{"fragile":true,"floor":3,"names":["x",null]},"orderRef":"r-9"}`

func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestProtobufRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := serdetest.MustCodec(t, serde.Config{Type: "protobuf", Schema: shopProto, Message: "shop.v1.Order"})
	for _, in := range []string{
		fullOrder,
		`{"card":"4242"}`,
		`{}`,
	} {
		data, err := c.Serialize(ctx, serde.Target{}, []byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := c.Deserialize(ctx, serde.Target{}, data)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		jsonEqual(t, out, []byte(in))
	}
	// Input may use either name, numbers for int64 and enums.
	data, err := c.Serialize(ctx, serde.Target{}, []byte(`{"order_ref":"r","i64":5,"status":2}`))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := c.Deserialize(ctx, serde.Target{}, data)
	jsonEqual(t, out, []byte(`{"orderRef":"r","i64":"5","status":"STATUS_SHIPPED"}`))

	names := serdetest.MustCodec(t, serde.Config{Type: "protobuf", Schema: shopProto, JSON: serde.JSONOptions{ProtoNames: true, EnumNumbers: true}})
	out, err = names.Deserialize(ctx, serde.Target{}, data)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, out, []byte(`{"order_ref":"r","i64":"5","status":2}`))

	for _, tc := range []struct{ in, want string }{
		{`{"nope":1}`, `unknown field "nope"`},
		{`{"i32":"x"}`, `invalid value for int32`},
		{`{"status":"STATUS_LOST"}`, `invalid value for enum`},
		{`[1]`, `shop.v1.Order`},
	} {
		if _, err := c.Serialize(ctx, serde.Target{}, []byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.in, err, tc.want)
		}
	}
	lax := serdetest.MustCodec(t, serde.Config{Type: "protobuf", Schema: shopProto, JSON: serde.JSONOptions{IgnoreExtraFields: true}})
	if _, err := lax.Serialize(ctx, serde.Target{}, []byte(`{"nope":1,"id":"a"}`)); err != nil {
		t.Errorf("ignore_extra_fields: %v", err)
	}
}

// Bytes derived by hand from the Protobuf encoding rules, not from the
// library that writes them: field 1 (string "a") is tag 0x0a, length 1,
// 0x61; field 2 (uint32 3) is tag 0x10, then 0x03.
func TestProtobufBytes(t *testing.T) {
	c := serdetest.MustCodec(t, serde.Config{Type: "protobuf", Schema: shopProto, Message: "shop.v1.Order.Line"})
	got, err := c.Serialize(context.Background(), serde.Target{}, []byte(`{"sku":"a","qty":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x0a, 0x01, 0x61, 0x10, 0x03}; !bytes.Equal(got, want) {
		t.Fatalf("%x, want %x", got, want)
	}
}

func TestProtobufConfig(t *testing.T) {
	for _, tc := range []struct {
		c    serde.Config
		want string
	}{
		{serde.Config{Type: "protobuf"}, "needs a schema"},
		{serde.Config{Type: "protobuf", Schema: `syntax = "proto3"; message A { strin x = 1; }`}, "invalid .proto schema"},
		{serde.Config{Type: "protobuf", Schema: `syntax = "proto3"; import "nope.proto"; message A {}`}, `import "nope.proto"`},
		{serde.Config{Type: "protobuf", Schema: shopProto, Message: "Order"}, `message "Order": no such message`},
		{serde.Config{Type: "protobuf", Schema: `syntax = "proto3"; enum E { E0 = 0; }`}, "defines no message"},
		{serde.Config{Type: "protobuf_confluent", Schema: shopProto}, "needs schema_registry.url"},
		{serde.Config{Type: "protobuf_confluent", Registry: serde.RegistryConfig{URLs: []string{"http://x"}}}, "needs a schema"},
	} {
		_, err := serde.New(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.c.Schema, err, tc.want)
		}
	}
	if _, err := serde.New(serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{"http://x"}}}); err != nil {
		t.Errorf("a decoder needs no schema: %v", err)
	}
}
