package protobuf

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func FuzzProtobufDecode(f *testing.F) {
	c, err := serde.New(serde.Config{Type: "protobuf", Schema: shopProto})
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.Serialize(context.Background(), serde.Target{}, []byte(fullOrder))
	if err != nil {
		f.Fatal(err)
	}
	serdetest.RoundTrip(f, c, good, good[:len(good)/2], []byte{0x0a, 0x80}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
}

func FuzzProtobufConfluentDecode(f *testing.F) {
	reg := srfake.New()
	f.Cleanup(reg.Close)
	c, err := serde.New(serde.Config{Type: "protobuf_confluent", Schema: shopProto, Message: "shop.v1.Transfer.Bank", AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.Serialize(context.Background(), serde.Target{Topic: "t"}, []byte(`{"bic":"AGRIFRPP"}`))
	if err != nil {
		f.Fatal(err)
	}
	// Decoding picks the type by the indexes in each record, encoding
	// writes Bank: only records of Bank can round-trip.
	serdetest.RoundTrip(f, onlyIndexes(c, good[5:8]), good, append(confluent.AppendHeader(nil, 1), 0x02, 0x7f), append(confluent.AppendHeader(nil, 1), 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01))
}

// onlyIndexes decodes only records whose message indexes are idx, so a
// fuzz round trip compares like with like.
func onlyIndexes(c serde.Codec, idx []byte) serde.Codec { return indexFilter{c, idx} }

type indexFilter struct {
	serde.Codec
	idx []byte
}

func (f indexFilter) Deserialize(ctx context.Context, t serde.Target, data []byte) ([]byte, error) {
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
