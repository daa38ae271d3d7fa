package protobuf

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Records that only protojson reads are written as Confluent's serializers
// write them: the NaN Java writes, and fields in field-number order with
// the oneof where its number puts it (protobuf-go's deterministic order
// puts it last). The fast path's output for the same message, keys in
// number order, is the reference.
func TestProtobufSlowPathWritesConfluentBytes(t *testing.T) {
	ps, err := compileProto(context.Background(), fastProto, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := ps.message("fast.M")
	pj := newProtoJSON(serde.JSONOptions{})
	for _, tc := range []struct{ slow, fast string }{
		// "1.0" for an int32 sends the record to protojson.
		{`{"i32":1.0,"d":"NaN","rf":["NaN",1]}`, `{"d":"NaN","i32":1,"rf":["NaN",1]}`},
		{`{"at":"1970-01-01T00:00:01Z","one":"x","i32":1.0,"opt":2}`, `{"i32":1,"one":"x","at":"1970-01-01T00:00:01Z","opt":2}`},
		{`{"rm":[{"two":{"s":"a"},"opt":1,"i32":1.0}],"s":"z"}`, `{"s":"z","rm":[{"i32":1,"two":{"s":"a"},"opt":1}]}`},
	} {
		slow, err := pj.encode(md, nil, []byte(tc.slow))
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := fastEncode(pj.plans.of(md), nil, []byte(tc.fast))
		if !ok {
			t.Fatalf("%s: not on the fast path", tc.fast)
		}
		if !bytes.Equal(slow, fast) {
			t.Errorf("%s:\n slow %x\n fast %x", tc.slow, slow, fast)
		}
	}
	nan, _ := pj.encode(md, nil, []byte(`{"d":"NaN"}`))
	if want := binary.LittleEndian.AppendUint64([]byte{0x21}, 0x7ff8000000000000); !bytes.Equal(nan, want) {
		t.Errorf("NaN: %x, want %x", nan, want)
	}
}

// A header-framed Protobuf record carries its message indexes in the
// header, after the GUID; the payload is the message alone.
func TestProtobufConfluentHeaderFraming(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	urls := serde.RegistryConfig{URLs: []string{reg.URL()}}
	enc := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", Schema: shopProto, Message: "shop.v1.Transfer", AutoRegister: true,
		SchemaIDLocation: confluent.FramingHeader, Registry: urls})
	var hs serde.HeaderList
	body, err := enc.Serialize(ctx, serde.Target{Topic: "t", Headers: &hs}, []byte(`{"iban":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, []byte{0x0a, 0x01, 0x61}) {
		t.Fatalf("body %x", body)
	}
	h, _ := hs.Get(confluent.ValueSchemaHeader)
	if len(h) != 19 || h[0] != 1 || !bytes.Equal(h[17:], []byte{0x02, 0x02}) {
		t.Fatalf("header %x", h)
	}
	dec := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", DecodeOnly: true, Registry: urls})
	out, err := dec.Deserialize(ctx, serde.Target{Topic: "t", Headers: &hs}, body)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, out, []byte(`{"iban":"a"}`))
}
