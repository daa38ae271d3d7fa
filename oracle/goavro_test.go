package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/avro"

	"github.com/ferry-connect/ferry/serde"
)

// Redpanda Connect's schema_registry_decode and _encode run twmb/avro
// (linkedin/goavro's conventions) with fixed options; Ferry's Avro codec
// with JSONOptions.Goavro must write and read the same JSON and bytes.
// Each case is a schema and JSON documents as a pipeline holds them.
var goavroCases = []struct {
	schema string
	docs   []string
}{
	{`"bytes"`, []string{`"\u00ff"`, `"AP8="`, `""`, `"a\"\\b"`}},
	{`{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}`, []string{`1234.56`, `"1234.56"`, `-0.01`, `0`}},
	{`"double"`, []string{`5`, `0.1`, `1e999`, `-1e999`, `1e21`, `-0.0`, `1.7976931348623157e308`, `5e-324`}},
	{`"float"`, []string{`0.1`, `3.4028235e38`, `1.5`, `16777217`}},
	{`"int"`, []string{`5`, `5.0`, `-2147483648`, `2147483647`}},
	{`"long"`, []string{`9007199254740993`, `-9223372036854775808`, `1e2`}},
	{`"string"`, []string{`"h\u00e9\u2028<>&"`, `"\u0000\u001f"`, `""`}},
	{`{"type":"string","logicalType":"uuid"}`, []string{`"0f8fad5b-d9cb-469f-a165-70867728950e"`, `"not-a-uuid"`}},
	{`{"type":"long","logicalType":"timestamp-micros"}`, []string{`1700000000123456`, `-1`, `"2026-11-30T10:00:00Z"`, `"2026-11-30T10:00:00.123456+01:00"`, `"2026-11-30 10:00:00"`}},
	{`{"type":"long","logicalType":"timestamp-millis"}`, []string{`1700000000123`, `"2026-11-30T10:00:00.123456789Z"`}},
	{`{"type":"long","logicalType":"local-timestamp-millis"}`, []string{`1700000000123`, `"2026-11-30T10:00:00Z"`}},
	{`{"type":"int","logicalType":"date"}`, []string{`19000`, `"2026-11-30"`, `"2026-11-30T10:00:00Z"`, `"2026-11-30T00:30:00+01:00"`, `"1969-12-31T23:00:00Z"`, `"1969-12-31"`}},
	{`{"type":"int","logicalType":"time-millis"}`, []string{`3723004`, `"01:02:03.004"`}},
	{`{"type":"long","logicalType":"time-micros"}`, []string{`3723004005`, `"01:02:03.004005"`}},
	{`{"type":"bytes","logicalType":"decimal","precision":9,"scale":3}`, []string{`1234.567`, `1234.5678`, `1e2`, `"-0.001"`, `12345678901`}},
	{`{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":6,"scale":2}`, []string{`12.5`}},
	{`"boolean"`, []string{`true`, `"true"`}},
	{`{"type":"array","items":{"type":"record","name":"I","fields":[{"name":"n","type":"long"}]}}`, []string{`[{"n":1},{"n":2}]`}},
	{`["null","string","long"]`, []string{`null`, `{"long":5}`, `5`, `"x"`, `{"string":"y"}`}},
	{`["null","double","long"]`, []string{`5`, `5.5`, `{"long":5}`}},
	{`["null","long","double"]`, []string{`5`, `5.5`}},
	{`["null",{"type":"long","logicalType":"timestamp-micros"}]`, []string{`{"long.timestamp-micros":5}`, `{"long":5}`, `5`, `null`}},
	{`["null",{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]}]`, []string{`{"S":{"x":1}}`, `{"x":1}`, `null`}},
	{`["null",{"type":"map","values":"int"}]`, []string{`{"long":1}`, `{"a":1,"b":2}`}},
	{`["null",{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}]`, []string{`{"bytes.decimal":1.5}`, `1.5`}},
	{`["string","boolean"]`, []string{`true`, `"true"`}},
	{`{"type":"enum","name":"E","symbols":["A","B"]}`, []string{`"B"`}},
	{`["null",{"type":"enum","name":"E","symbols":["A","B"]},"string"]`, []string{`"A"`, `"C"`, `{"E":"B"}`}},
	{`{"type":"array","items":["null","int"]}`, []string{`[1,null,{"int":3}]`, `[]`}},
	{`{"type":"map","values":["null","double"]}`, []string{`{"a":{"double":2},"b":null,"c":3}`}},
	{`{"type":"record","name":"R","namespace":"ns","fields":[{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null},{"name":"c","type":"string","default":"d"}]}`,
		[]string{`{"a":1}`, `{"a":1,"b":"x","c":"y"}`, `{"a":1,"extra":true}`, `{"c":"z","a":2,"b":{"string":"q"}}`}},
}

// goavroDivergences are where Ferry writes other JSON than Redpanda
// Connect on purpose, by schema and bytes, with why
// (docs/migrating-from-redpanda-connect.md lists them).
var goavroDivergences = map[string]string{
	// An enum symbol in a union beside a string: twmb/avro decodes the
	// symbol to a Go string, and its JSON encoder then tags it by the Go
	// type, as the string branch. Read back, it would be written as the
	// string branch: Ferry names the branch the record was written with.
	`["null",{"type":"enum","name":"E","symbols":["A","B"]},"string"] 0202`: "enum in a union tagged as string",
}

// sameJSON compares JSON texts by value: Redpanda Connect writes a map's
// entries in Go's map order, which varies from run to run.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestGoavroDialectMatchesRedpandaConnect(t *testing.T) {
	ctx := context.Background()
	for _, tc := range goavroCases {
		schema := tc.schema
		if schema[0] != '{' || !bytes.Contains([]byte(schema), []byte(`"record"`)) {
			schema = `{"type":"record","name":"Wrap","fields":[{"name":"v","type":` + schema + `}]}`
		}
		ref, err := avro.Parse(schema)
		if err != nil {
			t.Fatalf("%s: %v", schema, err)
		}
		codecs := map[bool]serde.Codec{}
		for _, tagged := range []bool{false, true} {
			c, err := serde.New(serde.Config{Type: "avro", Schema: schema, JSON: serde.JSONOptions{Goavro: true, TaggedUnions: tagged}})
			if err != nil {
				t.Fatal(err)
			}
			codecs[tagged] = c
		}
		hasMap := strings.Contains(tc.schema, `"map"`)
		for _, doc := range tc.docs {
			if schema != tc.schema {
				doc = `{"v":` + doc + `}`
			}
			// Encoding: what schema_registry_encode does with the document.
			native, err := service.NewMessage([]byte(doc)).AsStructuredMut()
			if err != nil {
				t.Fatal(err)
			}
			want, werr := ref.Encode(native)
			got, gerr := codecs[true].Serialize(ctx, serde.Target{}, []byte(doc))
			switch {
			case werr == nil && gerr != nil:
				t.Errorf("%s %s: Redpanda Connect encodes %x; Ferry fails: %v", tc.schema, doc, want, gerr)
				continue
			case werr == nil && !bytes.Equal(got, want) && !(hasMap && sameValue(ref, got, want)):
				t.Errorf("%s %s: Redpanda Connect encodes %x; Ferry %x", tc.schema, doc, want, got)
				continue
			case werr != nil:
				continue // Redpanda Connect refuses it: nothing to match
			}
			// Decoding those bytes: what schema_registry_decode writes,
			// with raw_unions off (tagged) and on.
			var back any
			if _, err := ref.Decode(want, &back); err != nil {
				t.Fatal(err)
			}
			for tagged, opts := range map[bool][]avro.Opt{true: {avro.TaggedUnions(), avro.TagLogicalTypes(), avro.LinkedinFloats()}, false: {avro.LinkedinFloats()}} {
				wantJSON, err := ref.EncodeJSON(back, opts...)
				if err != nil {
					t.Fatal(err)
				}
				gotJSON, err := codecs[tagged].Deserialize(ctx, serde.Target{}, want)
				if _, ok := goavroDivergences[fmt.Sprintf("%s %x", tc.schema, want)]; ok && tagged {
					continue
				}
				if err != nil || !bytes.Equal(gotJSON, wantJSON) && !(hasMap && sameJSON(gotJSON, wantJSON)) {
					t.Errorf("%s %x (tagged %v): Redpanda Connect writes %s; Ferry %s %v", tc.schema, want, tagged, wantJSON, gotJSON, err)
				}
			}
		}
	}
}

// sameValue compares two encodings by what they decode to.
func sameValue(s *avro.Schema, a, b []byte) bool {
	var x, y any
	if _, err := s.Decode(a, &x); err != nil {
		return false
	}
	if _, err := s.Decode(b, &y); err != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
