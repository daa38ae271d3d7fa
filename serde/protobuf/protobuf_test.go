package protobuf

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
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

// Confluent's framing: 0x00, the schema ID, the message indexes as a
// zig-zag varint count and zig-zag varint indexes, except that [0] is the
// single byte 0x00; then the message.
func TestProtobufConfluentFraming(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	cfg := func(msg string) serde.Config {
		return serde.Config{Type: "protobuf_confluent", Schema: shopProto, Message: msg, Subject: "shop", AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}}
	}
	line := []byte{0x0a, 0x01, 0x61} // {"sku":"a"} / {"iban":"a"} / {"bic":"a"}: field 1, "a"
	for _, tc := range []struct {
		msg, in string
		index   []byte
	}{
		{"shop.v1.Order", `{"id":"a"}`, []byte{0x00}},                      // [0]: the shortcut
		{"shop.v1.Transfer", `{"iban":"a"}`, []byte{0x02, 0x02}},           // [1]: count 1, index 1
		{"shop.v1.Order.Line", `{"sku":"a"}`, []byte{0x04, 0x00, 0x02}},    // [0, 1]: the map field's CountsEntry comes first, as in protoc's descriptor
		{"shop.v1.Transfer.Bank", `{"bic":"a"}`, []byte{0x04, 0x02, 0x00}}, // [1, 0]
	} {
		c := serdetest.MustCodec(t, cfg(tc.msg))
		got, err := c.Serialize(ctx, serde.Target{Topic: "t"}, []byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.msg, err)
		}
		want := append(append(confluent.AppendHeader(nil, 1), tc.index...), line...)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", tc.msg, got, want)
		}
		dec := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
		out, err := dec.Deserialize(ctx, serde.Target{}, got)
		if err != nil {
			t.Fatalf("%s: %v", tc.msg, err)
		}
		jsonEqual(t, out, []byte(tc.in))
	}
	dec := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{append(confluent.AppendHeader(nil, 1), 0x02, 0x06), "no message 3 at depth 0"},
		{append(confluent.AppendHeader(nil, 1), 0x01), "message indexes"},
		{append(confluent.AppendHeader(nil, 1), 0x00, 0x0a, 0x05, 0x61), "shop.v1.Order"},
		{append(confluent.AppendHeader(nil, 77), 0x00), "schema ID not found"},
	} {
		if _, err := dec.Deserialize(ctx, serde.Target{}, tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%x: got %v, want %q", tc.data, err, tc.want)
		}
	}
}

// Every field kind through the registry: the writer registers the schema,
// a reader with no schema of its own decodes by ID.
func TestProtobufConfluentRoundTrip(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	enc := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", Schema: shopProto, AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	data, err := enc.Serialize(ctx, serde.Target{Topic: "orders"}, []byte(fullOrder))
	if err != nil {
		t.Fatal(err)
	}
	dec := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	out, err := dec.Deserialize(ctx, serde.Target{Topic: "orders"}, data)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, out, []byte(fullOrder))

	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	ss, err := cl.SchemaByVersion(ctx, "orders-value", -1)
	if err != nil || ss.Type != sr.TypeProtobuf || len(ss.References) != 0 {
		t.Fatalf("registered %+v %v (well-known imports are not references)", ss, err)
	}
	// record_name takes the message's full name.
	rn := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", Schema: shopProto, Message: "shop.v1.Transfer", SubjectStrategy: serde.StrategyRecordName, AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if got := rn.(*protobufConfluentCodec).SubjectFor(serde.Target{Topic: "t"}); got != "shop.v1.Transfer" {
		t.Fatalf("subject %q", got)
	}
	// use_latest encodes with the registry's schema and the named message.
	latest := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", UseLatest: true, Message: "shop.v1.Transfer", Subject: "orders-value", Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	got, err := latest.Serialize(ctx, serde.Target{Topic: "orders"}, []byte(`{"iban":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := append(confluent.AppendHeader(nil, ss.ID), 0x02, 0x02, 0x0a, 0x01, 0x61); !bytes.Equal(got, want) {
		t.Fatalf("use_latest: %x, want %x", got, want)
	}
}

// Imports from import_paths are registered under their import paths and
// referred to, as Confluent's serializers do; a reader resolves them from
// the registry.
func TestProtobufConfluentReferences(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("shop/money.proto", `syntax = "proto3"; package shop; message Money { string currency = 1; int64 units = 2; }`)
	write("shop/address.proto", `syntax = "proto3"; package shop; import "shop/money.proto"; message Address { string zip = 1; Money fee = 2; }`)
	write("order.proto", `syntax = "proto3"; package shop; import "shop/address.proto"; import "shop/money.proto"; import "google/protobuf/timestamp.proto";
message Order { Address ship_to = 1; Money total = 2; google.protobuf.Timestamp at = 3; }`)
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	enc := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", SchemaFile: filepath.Join(dir, "order.proto"), ImportPaths: []string{dir}, AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	in := []byte(`{"shipTo":{"zip":"69001","fee":{"currency":"EUR","units":"5"}},"total":{"currency":"EUR","units":"12"},"at":"2026-11-23T00:00:00Z"}`)
	data, err := enc.Serialize(ctx, serde.Target{Topic: "orders"}, in)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	ss, err := cl.SchemaByVersion(ctx, "orders-value", -1)
	if err != nil {
		t.Fatal(err)
	}
	want := []sr.SchemaReference{{Name: "shop/address.proto", Subject: "shop/address.proto", Version: 1}, {Name: "shop/money.proto", Subject: "shop/money.proto", Version: 1}}
	if !reflect.DeepEqual(ss.References, want) {
		t.Fatalf("references %+v, want %+v", ss.References, want)
	}
	addr, err := cl.SchemaByVersion(ctx, "shop/address.proto", -1)
	if err != nil || len(addr.References) != 1 || addr.References[0].Name != "shop/money.proto" {
		t.Fatalf("shop/address.proto: %+v %v", addr, err)
	}
	dec := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	out, err := dec.Deserialize(ctx, serde.Target{}, data)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, out, in)

	// Without auto_register, the imports must be there already: they are.
	strict := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", SchemaFile: filepath.Join(dir, "order.proto"), ImportPaths: []string{dir}, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if _, err := strict.Serialize(ctx, serde.Target{Topic: "orders"}, in); err != nil {
		t.Fatal(err)
	}
	other := srfake.New()
	defer other.Close()
	strict = serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", SchemaFile: filepath.Join(dir, "order.proto"), ImportPaths: []string{dir}, Registry: serde.RegistryConfig{URLs: []string{other.URL()}}})
	if _, err := strict.Serialize(ctx, serde.Target{Topic: "orders"}, in); err == nil || !strings.Contains(err.Error(), `import "shop/money.proto"`) {
		t.Fatalf("unregistered import: %v", err)
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

// fastProto has every type the fast path takes; shopProto's Order also has fields
// only protojson reads (Duration, Struct), which send a record to it.
const fastProto = `syntax = "proto3";
package fast;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message M {
  string s = 1; bytes b = 2; bool ok = 3; double d = 4; float f = 5;
  int32 i32 = 6; int64 i64 = 7; uint32 u32 = 8; uint64 u64 = 9;
  sint32 s32 = 10; sint64 s64 = 11; fixed32 f32 = 12; fixed64 f64 = 13;
  sfixed32 sf32 = 14; sfixed64 sf64 = 15; E e = 16;
  repeated int64 ri = 17; repeated string rs = 18; repeated M rm = 19;
  map<string, M> mm = 20; map<int32, string> mi = 21; map<bool, double> mb = 22;
  oneof pick { string one = 23; M two = 24; }
  google.protobuf.Timestamp at = 25;
  google.protobuf.StringValue ws = 26; google.protobuf.Int64Value wi = 27;
  google.protobuf.DoubleValue wd = 28; google.protobuf.BoolValue wb = 29;
  optional int32 opt = 30;
  repeated E re = 31; repeated float rf = 32; repeated bool rb = 33;
}
enum E { E0 = 0; E1 = 1; E2 = 2; }
`

// The fast path agrees with protojson: whatever it encodes, protojson
// encodes too, to an equal message; it never accepts what protojson
// refuses.
func FuzzProtobufFastPath(f *testing.F) {
	for _, seed := range []string{
		`{"s":"a","b":"AAEC/w==","ok":true,"d":1.5,"f":-2.5e3,"i32":-7,"i64":"-9007199254740993","u32":7,"u64":"18446744073709551615","s32":-3,"s64":"-4","f32":5,"f64":"6","sf32":-8,"sf64":"-9","e":"E2"}`,
		`{"ri":[1,"2",-3],"rs":["x",""],"rm":[{},{"s":"n"}],"mm":{"a":{"i32":1},"b":{}},"mi":{"-1":"x","2":""},"mb":{"true":0.5,"false":0}}`,
		`{"one":"x","at":"2026-11-23T10:00:00.123456789Z","ws":"","wi":"0","wd":-0.0,"wb":false,"opt":0,"re":["E1","E0"],"rf":[0.1,1e38],"rb":[true,false]}`,
		`{"two":{"two":{"one":""}},"at":"1970-01-01T00:00:00Z"}`,
		`{"i32":2147483648}`, `{"i32":1.0}`, `{"s":"a","s":"b"}`, `{"one":"a","two":{}}`, `{"mi":{"1":"a","1":"b"}}`,
		`{"d":"NaN"}`, `{"b":"AAEC_w"}`, `{"e":1}`, `{"at":"2026-11-23T10:00:00+01:00"}`, `{"x":1}`, `{"s":null}`, `{"i32":01}`, `{"d":1.}`,
	} {
		f.Add([]byte(seed))
	}
	ps, err := compileProto(context.Background(), fastProto, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	md, _ := ps.message("fast.M")
	plan := (&fastPlans{}).of(md)
	if plan == nil {
		f.Fatal("fast.M has no plan")
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fast, ok := fastEncode(plan, nil, in)
		if !ok {
			return
		}
		want := dynamicpb.NewMessage(md)
		if err := protojson.Unmarshal(in, want); err != nil {
			t.Fatalf("the fast path took %s, which protojson refuses: %v", in, err)
		}
		got := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(fast, got); err != nil {
			t.Fatalf("%s: the fast path wrote %x, which does not decode: %v", in, fast, err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("%s: the fast path wrote %v, protojson %v", in, got, want)
		}
	})
}

// Records with a field only protojson reads still encode, through it.
func TestProtobufFastPathGivesUp(t *testing.T) {
	c := serdetest.MustCodec(t, serde.Config{Type: "protobuf", Schema: shopProto})
	ctx := context.Background()
	for _, in := range []string{fullOrder, `{"ttl":"1s"}`, `{"id":"a","i32":1e2}`, `{"raw":"AAEC_w"}`} {
		data, err := c.Serialize(ctx, serde.Target{}, []byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if _, err := c.Deserialize(ctx, serde.Target{}, data); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
	}
}

// The fast path takes the forms producers send, and leaves the rest to
// protojson: the fuzz target above would prove nothing if it took none.
func TestProtobufFastPathTakes(t *testing.T) {
	ps, err := compileProto(context.Background(), fastProto, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := ps.message("fast.M")
	plan := (&fastPlans{}).of(md)
	for _, tc := range []struct {
		in   string
		fast bool
	}{
		{`{"s":"a","b":"AAEC/w==","ok":true,"d":1.5,"f":-2.5e3,"i32":-7,"i64":"-9007199254740993","u64":"18446744073709551615","s32":-3,"sf64":"-9","e":"E2"}`, true},
		{`{"ri":[1,"2",-3],"rs":["x",""],"rm":[{},{"s":"n"}],"mm":{"a":{"i32":1}},"mi":{"-1":"x"},"mb":{"true":0.5}}`, true},
		{`{"one":"x","at":"2026-11-23T10:00:00.123Z","ws":"","wi":"0","wd":-0.0,"wb":false,"opt":0,"re":["E1"],"rf":[0.1],"rb":[true]}`, true},
		{`{"i32":1.0}`, false},
		{`{"s":"a","s":"b"}`, false},
		{`{"one":"a","two":{}}`, false},
		{`{"mi":{"1":"a","1":"b"}}`, false},
		{`{"d":"NaN"}`, false},
		{`{"at":"2026-11-23T10:00:00+01:00"}`, false},
		{`{"s":null}`, false},
		{`{"x":1}`, false},
	} {
		if _, ok := fastEncode(plan, nil, []byte(tc.in)); ok != tc.fast {
			t.Errorf("%s: fast %v, want %v", tc.in, ok, tc.fast)
		}
	}
}

// The fast path back writes exactly what protojson writes, byte for byte
// (after protojson's spacing is removed), for whatever it takes; it never
// takes what protojson refuses.
func FuzzProtobufFastDecode(f *testing.F) {
	ps, err := compileProto(context.Background(), fastProto, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	md, _ := ps.message("fast.M")
	plan := (&fastPlans{}).of(md)
	for _, seed := range []string{
		`{"s":"a\u0001\"\\<","b":"AAEC/w==","ok":true,"d":1.5e-7,"f":-2.5e3,"i32":-7,"i64":"-9007199254740993","u32":7,"u64":"18446744073709551615","s32":-3,"s64":"-4","f32":5,"f64":"6","sf32":-8,"sf64":"-9","e":"E2"}`,
		`{"ri":[1,"2",-3],"rs":["x",""],"rm":[{},{"s":"n"}],"mm":{"b":{"i32":1},"a":{}},"mi":{"-1":"x","2":""},"mb":{"true":0.5,"false":0}}`,
		`{"one":"x","at":"2026-11-23T10:00:00.123456789Z","ws":"","wi":"0","wd":-0.0,"wb":false,"opt":0,"re":["E1","E0"],"rf":[0.1,1e38],"rb":[true,false]}`,
		`{"two":{"two":{"one":""}},"at":"1970-01-01T00:00:00Z","d":1e21,"f":"NaN"}`,
	} {
		m := dynamicpb.NewMessage(md)
		if err := protojson.Unmarshal([]byte(seed), m); err != nil {
			f.Fatal(err)
		}
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		f.Add(b, false, false)
	}
	f.Add([]byte{0x08, 0x80, 0x80, 0x80, 0x80, 0x10}, true, true) // i32 = 2^32 on the wire: reads as 0
	f.Add([]byte{0xa2, 0x01, 0x02, 0x10, 0x01, 0xa2, 0x01, 0x02, 0x10, 0x02}, false, true)
	f.Fuzz(func(t *testing.T, data []byte, names, enumNo bool) {
		o := serde.JSONOptions{ProtoNames: names, EnumNumbers: enumNo}
		fast, ok := fastDecode(plan, o, nil, data)
		if !ok {
			return
		}
		m := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(data, m); err != nil {
			t.Fatalf("the fast path read %x as %s; proto refuses it: %v", data, fast, err)
		}
		want, err := protojson.MarshalOptions{UseProtoNames: names, UseEnumNumbers: enumNo}.Marshal(m)
		if err != nil {
			t.Fatalf("the fast path read %x as %s; protojson refuses it: %v", data, fast, err)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, want)
		if !bytes.Equal(fast, compact.Bytes()) {
			t.Fatalf("%x:\n fast      %s\n protojson %s", data, fast, compact.Bytes())
		}
	})
}
