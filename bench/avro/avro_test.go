// Package avro compares serde's JSON ↔ Avro path with goavro, the usual
// Go baseline, on the same record. It lives in the bench module so the
// library's go.mod does not carry goavro.
package avro

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/ferry-connect/ferry/serde"
	_ "github.com/ferry-connect/ferry/serde/avro"
)

// orderSchema is the benchmark record, serde's test record: 10 fields with
// a union, a nested record, an array, a map, an enum and a timestamp.
// goavro is the baseline on its text JSON path (NativeFromTextual +
// BinaryFromNative, and back), which takes Avro's JSON encoding: tagged
// unions.
var orderSchema = func() string {
	b, err := os.ReadFile("../../serde/avro/testdata/order.avsc")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

var (
	benchBare   = []byte(`{"id":42,"customer":"acme-corporation","qty":3,"price":19.99,"note":"leave at the door","tags":["gift","express","fragile"],"shipping":{"city":"Lyon","zip":"69001"},"status":"PAID","created":1767323045678,"attrs":{"weight":1200,"volume":3}}`)
	benchTagged = []byte(`{"id":42,"customer":"acme-corporation","qty":3,"price":19.99,"note":{"string":"leave at the door"},"tags":["gift","express","fragile"],"shipping":{"city":"Lyon","zip":{"string":"69001"}},"status":"PAID","created":1767323045678,"attrs":{"weight":1200,"volume":3}}`)
)

func ferry(t testing.TB, tagged bool) serde.Codec {
	t.Helper()
	c, err := serde.New(serde.Config{Type: "avro", Schema: orderSchema, JSON: serde.JSONOptions{TaggedUnions: tagged}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func BenchmarkJSONToAvro(b *testing.B) {
	ctx := context.Background()
	b.Run("ferry", func(b *testing.B) {
		c := ferry(b, false)
		b.SetBytes(int64(len(benchBare)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Serialize(ctx, serde.Target{}, benchBare); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ferry_tagged", func(b *testing.B) {
		c := ferry(b, true)
		b.SetBytes(int64(len(benchTagged)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Serialize(ctx, serde.Target{}, benchTagged); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goavro", func(b *testing.B) {
		c, err := goavro.NewCodec(orderSchema)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(benchTagged)))
		b.ReportAllocs()
		for b.Loop() {
			native, _, err := c.NativeFromTextual(benchTagged)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.BinaryFromNative(nil, native); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAvroToJSON(b *testing.B) {
	ctx := context.Background()
	c := ferry(b, false)
	data, err := c.Serialize(ctx, serde.Target{}, benchBare)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ferry", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Deserialize(ctx, serde.Target{}, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goavro", func(b *testing.B) {
		g, err := goavro.NewCodec(orderSchema)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			native, _, err := g.NativeFromBinary(data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := g.TextualFromNative(nil, native); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The goavro baseline and ours must agree on the bytes, or the comparison
// means nothing.
func TestBenchRecordAgreesWithGoavro(t *testing.T) {
	ours, err := ferry(t, false).Serialize(context.Background(), serde.Target{}, benchBare)
	if err != nil {
		t.Fatal(err)
	}
	g, err := goavro.NewCodec(orderSchema)
	if err != nil {
		t.Fatal(err)
	}
	native, _, err := g.NativeFromBinary(ours)
	if err != nil {
		t.Fatalf("goavro cannot read our bytes: %v", err)
	}
	theirs, _, err := g.NativeFromTextual(benchTagged)
	if err != nil {
		t.Fatal(err)
	}
	// Compare values, not re-encoded bytes: goavro writes map entries in
	// Go's random map order.
	if !reflect.DeepEqual(native, theirs) {
		t.Fatalf("goavro reads our record as %v, its own as %v", native, theirs)
	}
}
