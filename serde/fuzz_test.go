package serde

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Decoding arbitrary bytes never panics; whatever decodes re-encodes, and
// the re-encoded bytes decode to the same JSON.
// seedOrder is an orderSchema record, a seed for the fuzz targets.
var seedOrder = []byte(`{"id":42,"customer":"acme-corporation","qty":3,"price":19.99,"note":"leave at the door","tags":["gift","express","fragile"],"shipping":{"city":"Lyon","zip":"69001"},"status":"PAID","created":1767323045678,"attrs":{"weight":1200,"volume":3}}`)

func FuzzAvroDecode(f *testing.F) {
	c := mustAvro(f, Config{Schema: orderSchema})
	ctx := context.Background()
	good, err := c.Serialize(ctx, Target{}, seedOrder)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x02, 0x00})
	f.Add([]byte{0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := c.Deserialize(ctx, Target{}, data)
		if err != nil {
			return
		}
		again, err := c.Serialize(ctx, Target{}, js)
		if err != nil {
			t.Fatalf("decoded %x to %s, which does not encode: %v", data, js, err)
		}
		js2, err := c.Deserialize(ctx, Target{}, again)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("%s re-encoded to %x, which decodes to %s (%v)", js, again, js2, err)
		}
	})
}

// Encoding arbitrary text never panics; what encodes decodes, and encodes
// again to the same bytes.
func FuzzJSONToAvro(f *testing.F) {
	c := mustAvro(f, Config{Schema: orderSchema})
	ctx := context.Background()
	f.Add(seedOrder)
	f.Add([]byte(`{"id":1,"customer":"\u00e9\ud83d\ude00","qty":1,"price":1e3,"tags":[],"shipping":{"city":"x"},"status":"NEW","created":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"id":`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		data, err := c.Serialize(ctx, Target{}, in)
		if err != nil {
			return
		}
		js, err := c.Deserialize(ctx, Target{}, data)
		if err != nil {
			t.Fatalf("%s encoded to %x, which does not decode: %v", in, data, err)
		}
		again, err := c.Serialize(ctx, Target{}, js)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("%s -> %x -> %s -> %x (%v)", in, data, js, again, err)
		}
	})
}

// The header parser never panics and reads the ID big-endian.
func FuzzConfluentHeader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 2})
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		id, body, err := ParseConfluentHeader(data)
		if err != nil {
			if len(data) >= 5 && data[0] == 0 {
				t.Fatalf("rejected a valid header %x: %v", data, err)
			}
			return
		}
		if data[0] != 0 || id != int(binary.BigEndian.Uint32(data[1:5])) || !bytes.Equal(body, data[5:]) {
			t.Fatalf("%x parsed as id %d body %x", data, id, body)
		}
	})
}

// The new codecs' decoders: arbitrary bytes never panic, and whatever
// decodes encodes again to bytes that decode to the same JSON.
func fuzzRoundTrip(f *testing.F, c Codec, seeds ...[]byte) {
	ctx := context.Background()
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := c.Deserialize(ctx, Target{Topic: "t"}, data)
		if err != nil {
			return
		}
		again, err := c.Serialize(ctx, Target{Topic: "t"}, js)
		if err != nil {
			t.Fatalf("decoded %x to %s, which does not encode: %v", data, js, err)
		}
		js2, err := c.Deserialize(ctx, Target{Topic: "t"}, again)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("%s re-encoded to %x, which decodes to %s (%v)", js, again, js2, err)
		}
	})
}

func FuzzProtobufDecode(f *testing.F) {
	c, err := New(Config{Type: "protobuf", Schema: shopProto})
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.Serialize(context.Background(), Target{}, []byte(fullOrder))
	if err != nil {
		f.Fatal(err)
	}
	fuzzRoundTrip(f, c, good, good[:len(good)/2], []byte{0x0a, 0x80}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
}

func FuzzProtobufConfluentDecode(f *testing.F) {
	reg := srfake.New()
	f.Cleanup(reg.Close)
	c, err := New(Config{Type: "protobuf_confluent", Schema: shopProto, Message: "shop.v1.Transfer.Bank", AutoRegister: true, Registry: RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.Serialize(context.Background(), Target{Topic: "t"}, []byte(`{"bic":"AGRIFRPP"}`))
	if err != nil {
		f.Fatal(err)
	}
	// Decoding picks the type by the indexes in each record, encoding
	// writes Bank: only records of Bank can round-trip.
	fuzzRoundTrip(f, onlyIndexes(c, good[5:8]), good, append(AppendConfluentHeader(nil, 1), 0x02, 0x7f), append(AppendConfluentHeader(nil, 1), 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01))
}

// onlyIndexes decodes only records whose message indexes are idx, so a
// fuzz round trip compares like with like.
func onlyIndexes(c Codec, idx []byte) Codec { return indexFilter{c, idx} }

type indexFilter struct {
	Codec
	idx []byte
}

func (f indexFilter) Deserialize(ctx context.Context, t Target, data []byte) ([]byte, error) {
	if len(data) < 5+len(f.idx) || !bytes.Equal(data[5:5+len(f.idx)], f.idx) {
		_, err := f.Codec.Deserialize(ctx, t, data) // still must not panic
		if err == nil {
			err = errOtherType
		}
		return nil, err
	}
	return f.Codec.Deserialize(ctx, t, data)
}

var errOtherType = errors.New("another message type")

func FuzzJSONSchemaDecode(f *testing.F) {
	c, err := New(Config{Type: "json_schema", Schema: orderJSONSchema, Validate: true})
	if err != nil {
		f.Fatal(err)
	}
	fuzzRoundTrip(f, c, []byte(`{"id":7,"customer":"acme","tags":["a"]}`), []byte(`{"id":0}`), []byte(`{"id":1e400,"customer":"x"}`), []byte(`"\ud800"`))
}

func FuzzJSONSchemaConfluentDecode(f *testing.F) {
	reg := srfake.New()
	f.Cleanup(reg.Close)
	c, err := New(Config{Type: "json_schema_confluent", Schema: orderJSONSchema, AutoRegister: true, Validate: true, Registry: RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.Serialize(context.Background(), Target{Topic: "t"}, []byte(`{"id":7,"customer":"acme"}`))
	if err != nil {
		f.Fatal(err)
	}
	fuzzRoundTrip(f, c, good, good[:6], append(AppendConfluentHeader(nil, 1), `{"id":0}`...))
}
