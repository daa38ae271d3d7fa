package avro

import (
	"bytes"
	"context"
	"testing"

	"github.com/ferry-connect/ferry/serde"
)

// Decoding arbitrary bytes never panics; whatever decodes re-encodes, and
// the re-encoded bytes decode to the same JSON.
// seedOrder is an orderSchema record, a seed for the fuzz targets.
var seedOrder = []byte(`{"id":42,"customer":"acme-corporation","qty":3,"price":19.99,"note":"leave at the door","tags":["gift","express","fragile"],"shipping":{"city":"Lyon","zip":"69001"},"status":"PAID","created":1767323045678,"attrs":{"weight":1200,"volume":3}}`)

func FuzzAvroDecode(f *testing.F) {
	c := mustAvro(f, serde.Config{Schema: orderSchema})
	ctx := context.Background()
	good, err := c.Serialize(ctx, serde.Target{}, seedOrder)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x02, 0x00})
	f.Add([]byte{0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := c.Deserialize(ctx, serde.Target{}, data)
		if err != nil {
			return
		}
		again, err := c.Serialize(ctx, serde.Target{}, js)
		if err != nil {
			t.Fatalf("decoded %x to %s, which does not encode: %v", data, js, err)
		}
		js2, err := c.Deserialize(ctx, serde.Target{}, again)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("%s re-encoded to %x, which decodes to %s (%v)", js, again, js2, err)
		}
	})
}

// Encoding arbitrary text never panics; what encodes decodes, and encodes
// again to the same bytes.
func FuzzJSONToAvro(f *testing.F) {
	c := mustAvro(f, serde.Config{Schema: orderSchema})
	ctx := context.Background()
	f.Add(seedOrder)
	f.Add([]byte(`{"id":1,"customer":"\u00e9\ud83d\ude00","qty":1,"price":1e3,"tags":[],"shipping":{"city":"x"},"status":"NEW","created":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"id":`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		data, err := c.Serialize(ctx, serde.Target{}, in)
		if err != nil {
			return
		}
		js, err := c.Deserialize(ctx, serde.Target{}, data)
		if err != nil {
			t.Fatalf("%s encoded to %x, which does not decode: %v", in, data, err)
		}
		again, err := c.Serialize(ctx, serde.Target{}, js)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("%s -> %x -> %s -> %x (%v)", in, data, js, again, err)
		}
	})
}
