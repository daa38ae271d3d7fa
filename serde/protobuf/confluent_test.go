package protobuf

import (
	"bytes"
	"context"
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
)

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
		// [0, 0] is Order's CountsEntry, a map field's entry: a client
		// counting nested types without map entries meant Order.Line.
		{append(confluent.AppendHeader(nil, 1), 0x04, 0x00, 0x00, 0x0a, 0x01, 0x61), "shop.v1.Order.CountsEntry, a map field's entry, not a message"},
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
	rn := serdetest.MustCodec(t, serde.Config{Type: "protobuf_confluent", Schema: shopProto, Message: "shop.v1.Transfer", SubjectStrategy: confluent.StrategyRecordName, AutoRegister: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
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
