package compat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
)

// with_schema_registry_header frames bytes with Confluent's 5-byte header
// and refuses IDs that are not whole numbers in range.
func TestWithSchemaRegistryHeader(t *testing.T) {
	exec, err := bloblang.Parse(`root = with_schema_registry_header(this.id, this.body)`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := exec.Query(map[string]any{"id": int64(258), "body": "avro"})
	if err != nil || !bytes.Equal(got.([]byte), []byte{0, 0, 0, 1, 2, 'a', 'v', 'r', 'o'}) {
		t.Fatalf("framed %x, %v", got, err)
	}
	for _, id := range []any{-1.0, 1.5, 4294967296.0, "7"} {
		if _, err := exec.Query(map[string]any{"id": id, "body": "x"}); err == nil || !strings.Contains(err.Error(), "schema ID") {
			t.Errorf("id %v: %v", id, err)
		}
	}
}
