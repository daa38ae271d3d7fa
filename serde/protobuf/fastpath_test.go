package protobuf

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

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
		{`{"d":"NaN","f":"-Infinity"}`, true},
		{`{"d":"1.5"}`, false},
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
