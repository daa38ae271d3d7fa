// Package protobuf compares serde's JSON ↔ Protobuf path with the plain
// one a Go program would write: protojson.Unmarshal into a dynamic
// message, then proto.Marshal, and back.
package protobuf

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ferry-connect/ferry/serde"
	_ "github.com/ferry-connect/ferry/serde/protobuf"
)

// orderProto is the Avro benchmark's record as a Protobuf message: 10
// fields with a wrapper (Avro's nullable string), a nested message, a
// repeated field, a map, an enum and a timestamp.
const orderProto = `syntax = "proto3";
package bench;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
message Order {
  int64 id = 1;
  string customer = 2;
  int32 qty = 3;
  double price = 4;
  google.protobuf.StringValue note = 5;
  repeated string tags = 6;
  Shipping shipping = 7;
  Status status = 8;
  google.protobuf.Timestamp created = 9;
  map<string, int64> attrs = 10;
}
message Shipping { string city = 1; string zip = 2; }
enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }
`

var order = []byte(`{"id":"42","customer":"acme-corporation","qty":3,"price":19.99,"note":"leave at the door","tags":["gift","express","fragile"],"shipping":{"city":"Lyon","zip":"69001"},"status":"PAID","created":"2026-01-02T03:04:05.678Z","attrs":{"volume":"3","weight":"1200"}}`)

func ferry(t testing.TB) serde.Codec {
	t.Helper()
	c, err := serde.New(serde.Config{Type: "protobuf", Schema: orderProto})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// plain is the baseline: the descriptor compiled once, then protojson and
// proto on a dynamic message per record.
func plain(t testing.TB) protoreflect.MessageDescriptor {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"order.proto": orderProto}),
	})}
	files, err := c.Compile(context.Background(), "order.proto")
	if err != nil {
		t.Fatal(err)
	}
	return files[0].Messages().ByName("Order")
}

func plainEncode(md protoreflect.MessageDescriptor, in []byte) ([]byte, error) {
	m := dynamicpb.NewMessage(md)
	if err := protojson.Unmarshal(in, m); err != nil {
		return nil, err
	}
	return proto.Marshal(m)
}

func plainDecode(md protoreflect.MessageDescriptor, in []byte) ([]byte, error) {
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(in, m); err != nil {
		return nil, err
	}
	return protojson.Marshal(m)
}

// Both paths write the same message, and read it back to the same JSON.
func TestBenchRecordAgrees(t *testing.T) {
	f, md := ferry(t), plain(t)
	ctx := context.Background()
	a, err := f.Serialize(ctx, serde.Target{}, order)
	if err != nil {
		t.Fatal(err)
	}
	b, err := plainEncode(md, order)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		// Map entries may come in either order; compare as messages.
		ma, mb := dynamicpb.NewMessage(md), dynamicpb.NewMessage(md)
		if proto.Unmarshal(a, ma) != nil || proto.Unmarshal(b, mb) != nil || !proto.Equal(ma, mb) {
			t.Fatalf("ferry %x\nplain %x", a, b)
		}
	}
	ja, err := f.Deserialize(ctx, serde.Target{}, a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := plainDecode(md, b)
	if err != nil {
		t.Fatal(err)
	}
	var va, vb, vo any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	_ = json.Unmarshal(order, &vo)
	if !reflect.DeepEqual(va, vb) || !reflect.DeepEqual(va, vo) {
		t.Fatalf("ferry %s\nplain %s\nin    %s", ja, jb, order)
	}
}

func BenchmarkJSONToProtobuf(b *testing.B) {
	b.Run("ferry", func(b *testing.B) {
		c := ferry(b)
		ctx := context.Background()
		b.SetBytes(int64(len(order)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Serialize(ctx, serde.Target{}, order); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		md := plain(b)
		b.SetBytes(int64(len(order)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plainEncode(md, order); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkProtobufToJSON(b *testing.B) {
	wire, err := plainEncode(plain(b), order)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ferry", func(b *testing.B) {
		c := ferry(b)
		ctx := context.Background()
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Deserialize(ctx, serde.Target{}, wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		md := plain(b)
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plainDecode(md, wire); err != nil {
				b.Fatal(err)
			}
		}
	})
}
