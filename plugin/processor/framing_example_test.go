package processor_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
)

// The header-framing example writes bare Avro values with the schema's
// GUID in __value_schema_id; the schema_registry decoder, given the
// record's headers, reads every one back.
func TestAvroHeaderFramingExample(t *testing.T) {
	c, reg := runExample(t, "avro_header_framing.yaml", "readings")
	recs := kafkatest.ReadAll(t, c, "readings")
	if len(recs) != 500 {
		t.Fatalf("topic has %d records, want 500", len(recs))
	}
	ss, ok := reg.GetSchema("readings-value", 1)
	if !ok || ss.GUID == "" {
		t.Fatalf("registered %+v", ss)
	}
	want, _ := confluent.AppendGUID(nil, ss.GUID)
	dec, err := serde.New(serde.Config{Type: "schema_registry", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		var hs serde.HeaderList
		for _, h := range r.Headers {
			hs = append(hs, serde.Header{Key: h.Key, Value: h.Value})
		}
		if v, _ := hs.Get(confluent.ValueSchemaHeader); string(v) != string(want) || r.Value[0] == 0 {
			t.Fatalf("header %x, value %x", v, r.Value)
		}
		js, err := dec.Deserialize(context.Background(), serde.Target{Topic: "readings", Headers: &hs}, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(js)] = true
	}
	if first := fmt.Sprintf(`{"sensor":"s-01","celsius":-4,"at":%d}`, 1767225600000000+1000000); len(seen) != 500 || !seen[first] {
		t.Fatalf("%d distinct readings; %s missing", len(seen), first)
	}
}
