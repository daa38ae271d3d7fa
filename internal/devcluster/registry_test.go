package devcluster

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The dev registry answers the ID lookups Confluent's clients make: with
// the subject their strategy names, and with format=serialized for
// Protobuf, the descriptor of the schema with its import.
func TestRegistryAnswersConfluentClients(t *testing.T) {
	r := NewRegistry()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	if _, _, err := r.RegisterSchema("shop/v1/common.proto", sr.Schema{Type: sr.TypeProtobuf, Schema: `syntax = "proto3"; package shop.v1; message Money { int64 units = 1; }`}); err != nil {
		t.Fatal(err)
	}
	id, _, err := r.RegisterSchema("orders-value", sr.Schema{Type: sr.TypeProtobuf,
		Schema:     `syntax = "proto3"; package shop.v1; import "shop/v1/common.proto"; message Order { Money total = 1; }`,
		References: []sr.SchemaReference{{Name: "shop/v1/common.proto", Subject: "shop/v1/common.proto", Version: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	getJSON := func(path string) (int, sr.SubjectSchema) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s sr.SubjectSchema
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, s
	}
	if code, s := getJSON("/schemas/ids/2?subject=orders-key"); code != http.StatusOK || s.Type != sr.TypeProtobuf {
		t.Fatalf("?subject= of another subject: HTTP %d", code)
	}
	code, s := getJSON("/schemas/ids/2?format=serialized")
	if code != http.StatusOK || id != 2 {
		t.Fatalf("format=serialized: HTTP %d", code)
	}
	b, err := base64.StdEncoding.DecodeString(s.Schema.Schema)
	if err != nil {
		t.Fatalf("not base64: %q", s.Schema.Schema)
	}
	var fd descriptorpb.FileDescriptorProto
	if err := proto.Unmarshal(b, &fd); err != nil {
		t.Fatal(err)
	}
	if len(fd.Dependency) != 1 || fd.Dependency[0] != "shop/v1/common.proto" || fd.MessageType[0].GetName() != "Order" || len(s.References) != 1 {
		t.Fatalf("descriptor %v, references %v", &fd, s.References)
	}
	if code, s := getJSON("/schemas/ids/1"); code != http.StatusOK || s.Schema.Schema[:6] != "syntax" {
		t.Fatalf("plain lookup: HTTP %d %q", code, s.Schema.Schema)
	}
}
