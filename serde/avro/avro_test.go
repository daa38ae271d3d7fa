package avro

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/serdetest"
	hamba "github.com/hamba/avro/v2"
)

// orderSchema is the test record (serde/avro/testdata/order.avsc, which the
// goavro comparison in bench/avro reads too): 10 fields with a union, a
// nested record, an array, a map, an enum and a timestamp.
var orderSchema = func() string {
	b, err := os.ReadFile("testdata/order.avsc")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func mustAvro(t testing.TB, c serde.Config) serde.Codec {
	t.Helper()
	if c.Type == "" {
		c.Type = "avro"
	}
	return serdetest.MustCodec(t, c)
}

// Golden bytes worked out by hand from the Avro specification.
func TestAvroGoldenBytes(t *testing.T) {
	schema := `{"type":"record","name":"R","fields":[
	  {"name":"a","type":"int"},
	  {"name":"b","type":"string"},
	  {"name":"c","type":["null","long"]},
	  {"name":"d","type":{"type":"array","items":"int"}},
	  {"name":"e","type":"boolean"},
	  {"name":"f","type":{"type":"map","values":"string"}}
	]}`
	codec := mustAvro(t, serde.Config{Schema: schema})
	in := `{"f":{"k":"v"},"d":[1,-2,64],"c":3,"b":"hé","a":-1,"e":true}`
	got, err := codec.Serialize(context.Background(), serde.Target{}, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x01,                  // a = -1: zig-zag 1
		0x06, 'h', 0xc3, 0xa9, // b: length 3 (zig-zag 6), then UTF-8
		0x02, 0x06, // c: branch 1 (zig-zag 2), long 3 (zig-zag 6)
		0x06, 0x02, 0x03, 0x80, 0x01, 0x00, // d: block of 3; 1, -2, 64 (zig-zag 128 = 0x80 0x01); end
		0x01,                             // e: true
		0x02, 0x02, 'k', 0x02, 'v', 0x00, // f: block of 1; "k" -> "v"; end
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", hex.EncodeToString(got), hex.EncodeToString(want))
	}
	back, err := codec.Deserialize(context.Background(), serde.Target{}, got)
	if err != nil {
		t.Fatal(err)
	}
	if string(back) != `{"a":-1,"b":"hé","c":3,"d":[1,-2,64],"e":true,"f":{"k":"v"}}` {
		t.Errorf("decoded %s", back)
	}
}

// NaN is written as Java (and so Confluent's serializers) write it:
// 0x7ff8000000000000 for a double, 0x7fc00000 for a float, so the same
// record has the same bytes whichever client wrote it.
func TestAvroCanonicalNaN(t *testing.T) {
	codec := mustAvro(t, serde.Config{Schema: `{"type":"record","name":"N","fields":[{"name":"d","type":"double"},{"name":"f","type":"float"}]}`})
	got, err := codec.Serialize(context.Background(), serde.Target{}, []byte(`{"d":"NaN","f":"NaN"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 0, 0xc0, 0x7f}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %s, want %s", hex.EncodeToString(got), hex.EncodeToString(want))
	}
}

func TestAppendLongVarints(t *testing.T) {
	for v, want := range map[int64]string{0: "00", -1: "01", 1: "02", -64: "7f", 64: "8001", 8192: "808001", -9223372036854775808: "ffffffffffffffffff01"} {
		if got := hex.EncodeToString(appendLong(nil, v)); got != want {
			t.Errorf("appendLong(%d) = %s, want %s", v, got, want)
		}
	}
}

// The encoder agrees byte for byte with hamba/avro's (an independent
// implementation) on a record with every kind of field.
func TestAvroMatchesHamba(t *testing.T) {
	codec := mustAvro(t, serde.Config{Schema: orderSchema})
	in := `{"id":42,"customer":"acme","qty":3,"price":9.5,"note":"gift","tags":["a","b"],
	  "shipping":{"city":"Lyon","zip":null},"status":"PAID","created":"2026-01-02T03:04:05.678Z","attrs":{"x":1}}`
	got, err := codec.Serialize(context.Background(), serde.Target{}, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	// hamba writes array and map blocks with negative counts and byte
	// sizes where we write plain counts (both are valid Avro), so compare
	// by decoding each side's bytes with the other implementation.
	s := hamba.MustParse(orderSchema)
	value := map[string]any{
		"id": int64(42), "customer": "acme", "qty": 3, "price": 9.5, "note": "gift",
		"tags":     []string{"a", "b"},
		"shipping": map[string]any{"city": "Lyon", "zip": nil},
		"status":   "PAID", "created": int64(1767323045678), "attrs": map[string]any{"x": int64(1)},
	}
	theirs, err := hamba.Marshal(s, value)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"id":42,"customer":"acme","qty":3,"price":9.5,"note":"gift","tags":["a","b"],"shipping":{"city":"Lyon","zip":null},"status":"PAID","created":1767323045678,"attrs":{"x":1}}`
	for name, data := range map[string][]byte{"ours": got, "hamba's": theirs} {
		back, err := codec.Deserialize(context.Background(), serde.Target{}, data)
		if err != nil {
			t.Fatalf("decoding %s bytes: %v", name, err)
		}
		if string(back) != wantJSON {
			t.Errorf("decoding %s bytes:\n %s\nwant\n %s", name, back, wantJSON)
		}
	}
	var decoded map[string]any
	if err := hamba.Unmarshal(s, got, &decoded); err != nil {
		t.Fatalf("hamba cannot read our bytes: %v", err)
	}
	if decoded["customer"] != "acme" || decoded["status"] != "PAID" || decoded["qty"] != 3 ||
		decoded["shipping"].(map[string]any)["city"] != "Lyon" || len(decoded["tags"].([]any)) != 2 {
		t.Errorf("hamba read our bytes as %v", decoded)
	}
}

func TestAvroJSONRules(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, schema, in, out, err string
		opts                       serde.JSONOptions
	}{
		{name: "missing field takes default", schema: `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}`,
			in: `{"a":1}`, out: `{"a":1,"b":"x"}`},
		{name: "missing field without default", schema: `{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`,
			in: `{}`, err: "at .a: missing, and the schema gives no default"},
		{name: "extra field", schema: `{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`,
			in: `{"a":1,"zz":2}`, err: `at .zz: record R has no field "zz"`},
		{name: "extra field ignored", schema: `{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`,
			in: `{"a":1,"zz":{"deep":[1]}}`, out: `{"a":1}`, opts: serde.JSONOptions{IgnoreExtraFields: true}},
		{name: "int range", schema: `{"type":"record","name":"R","fields":[{"name":"n","type":"int"}]}`,
			in: `{"n":2147483648}`, err: "at .n: 2147483648 does not fit an Avro int"},
		{name: "fraction into long", schema: `"long"`, in: `1.5`, err: "not a whole number"},
		{name: "integral float into long", schema: `"long"`, in: `3.0`, out: `3`},
		{name: "nested path", schema: `{"type":"record","name":"R","fields":[{"name":"items","type":{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"sku","type":"string"}]}}}]}`,
			in: `{"items":[{"sku":"a"},{"sku":7}]}`, err: "at .items[1].sku: expected string, got a number"},
		{name: "bare union picks by JSON type", schema: `["null","long","double","string"]`, in: `2.5`, out: `2.5`},
		{name: "bare union integral to long", schema: `["null","double","long"]`, in: `7`, out: `7`},
		{name: "tagged union", schema: `["null","long","string"]`, in: `{"string":"hi"}`, out: `{"string":"hi"}`, opts: serde.JSONOptions{TaggedUnions: true}},
		{name: "tagged union wrong tag", schema: `["null","long"]`, in: `{"string":"hi"}`, err: `"string" is not a branch`, opts: serde.JSONOptions{TaggedUnions: true}},
		{name: "null not allowed", schema: `"string"`, in: `null`, err: "expected string, got null"},
		{name: "timestamp from number", schema: `{"type":"long","logicalType":"timestamp-micros"}`, in: `1700000000000000`, out: `1700000000000000`},
		{name: "timestamp from RFC 3339", schema: `{"type":"long","logicalType":"timestamp-micros"}`, in: `"2023-11-14T22:13:20.000001Z"`, out: `1700000000000001`},
		{name: "bad timestamp", schema: `{"type":"long","logicalType":"timestamp-millis"}`, in: `"yesterday"`, err: "not an RFC 3339 timestamp"},
		{name: "date", schema: `{"type":"int","logicalType":"date"}`, in: `"1970-01-11"`, out: `10`},
		{name: "decimal from string", schema: `{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}`, in: `"-12.5"`, out: `"-12.50"`},
		{name: "decimal from number", schema: `{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}`, in: `1234.56`, out: `"1234.56"`},
		{name: "decimal too precise", schema: `{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}`, in: `"1.234"`, err: "more than 2 fractional digits"},
		{name: "decimal in fixed", schema: `{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":9,"scale":3}`, in: `"-1.000"`, out: `"-1.000"`},
		{name: "uuid", schema: `{"type":"string","logicalType":"uuid"}`, in: `"123e4567-e89b-12d3-a456-426614174000"`, out: `"123e4567-e89b-12d3-a456-426614174000"`},
		{name: "bad uuid", schema: `{"type":"string","logicalType":"uuid"}`, in: `"nope"`, err: "is not a UUID"},
		{name: "bytes are base64", schema: `"bytes"`, in: `"AAEC/w=="`, out: `"AAEC/w=="`},
		{name: "bytes not base64", schema: `"bytes"`, in: `"not base64!"`, err: "base64"},
		{name: "fixed size", schema: `{"type":"fixed","name":"F","size":2}`, in: `"AAEC"`, err: "takes 2 bytes, got 3"},
		{name: "enum symbol", schema: `{"type":"enum","name":"E","symbols":["A","B"]}`, in: `"C"`, err: `"C" is not a symbol of enum E`},
		{name: "float specials", schema: `"double"`, in: `"NaN"`, out: `"NaN"`},
		{name: "string escapes", schema: `"string"`, in: `"a\"b\\c\n\u0001é"`, out: `"a\"b\\c\n\u0001é"`},
		{name: "trailing data", schema: `"long"`, in: `1 2`, err: "data after the document"},
		{name: "broken JSON", schema: `{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`, in: `{"a":`, err: "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codec := mustAvro(t, serde.Config{Schema: tc.schema, JSON: tc.opts})
			enc, err := codec.Serialize(ctx, serde.Target{}, []byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dec, err := codec.Deserialize(ctx, serde.Target{}, enc)
			if err != nil {
				t.Fatal(err)
			}
			if string(dec) != tc.out {
				t.Errorf("round trip %s -> %x -> %s, want %s", tc.in, enc, dec, tc.out)
			}
		})
	}
}

// Schema evolution: data written with v1 read with v2, which added a
// field with a default, dropped one, widened int to long and renamed a
// field through an alias.
func TestAvroSchemaResolution(t *testing.T) {
	v1 := `{"type":"record","name":"U","fields":[
	  {"name":"id","type":"int"},{"name":"old","type":"string"},{"name":"nick","type":"string"},
	  {"name":"kind","type":{"type":"enum","name":"K","symbols":["A","B","C"]}}]}`
	v2 := `{"type":"record","name":"U","fields":[
	  {"name":"id","type":"long"},{"name":"name","type":"string","aliases":["nick"]},
	  {"name":"email","type":["null","string"],"default":null},{"name":"score","type":"double","default":1.5},
	  {"name":"kind","type":{"type":"enum","name":"K","symbols":["A","B"],"default":"A"}}]}`
	w := mustAvro(t, serde.Config{Schema: v1})
	data, err := w.Serialize(context.Background(), serde.Target{}, []byte(`{"id":7,"old":"x","nick":"bo","kind":"C"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := mustAvro(t, serde.Config{Schema: v1, ReaderSchema: v2})
	out, err := r.Deserialize(context.Background(), serde.Target{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"id":7,"name":"bo","kind":"A","email":null,"score":1.5}` {
		t.Errorf("resolved to %s", out)
	}
	if _, err := serde.New(serde.Config{Type: "avro", Schema: v1, ReaderSchema: `{"type":"record","name":"U","fields":[{"name":"must","type":"int"}]}`}); err == nil || !strings.Contains(err.Error(), "has no default") {
		t.Errorf("incompatible reader accepted: %v", err)
	}
}

func TestAvroDecodeErrors(t *testing.T) {
	codec := mustAvro(t, serde.Config{Schema: orderSchema})
	good, err := codec.Serialize(context.Background(), serde.Target{}, []byte(`{"id":1,"customer":"c","qty":1,"price":1,"tags":[],"shipping":{"city":"x"},"status":"NEW","created":1}`))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(good); i++ {
		if _, err := codec.Deserialize(context.Background(), serde.Target{}, good[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		} else if !errors.Is(err, serde.ErrTruncated) && !strings.Contains(err.Error(), "out of range") {
			t.Errorf("truncated to %d bytes: %v", i, err)
		}
	}
	if _, err := codec.Deserialize(context.Background(), serde.Target{}, append(good, 0)); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Errorf("trailing byte: %v", err)
	}
}

func TestAvroConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		c    serde.Config
		want string
	}{
		{serde.Config{Type: "avro"}, "needs a schema"},
		{serde.Config{Type: "avro", Schema: `{"type":"record"`}, "invalid Avro schema"},
		{serde.Config{Type: "avro", SchemaFile: "/no/such/file.avsc"}, "schema_file"},
		{serde.Config{Type: "avro", Schema: `"int"`, SchemaFile: "x"}, "exclusive"},
		{serde.Config{Type: "avro_confluent", Schema: `"int"`}, "schema_registry.url"},
	} {
		if _, err := serde.New(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
