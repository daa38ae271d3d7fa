package devcluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/ferry-connect/ferry/serde/protobuf"
)

// NewRegistry is srfake's registry, answering two more of the requests
// Confluent's clients make as Confluent's registry does:
//
//   - GET /schemas/ids/{id}?subject=S answers the schema whatever subject
//     it is registered under (the subject only picks a schema context;
//     srfake answers 404 when the ID is not S's, and Confluent's
//     deserializers always send the subject their strategy names);
//   - GET /schemas/ids/{id}?format=serialized answers a Protobuf schema as
//     its FileDescriptorProto, base64, instead of .proto text.
func NewRegistry() *srfake.Registry {
	r := srfake.NewRegistry()
	r.Intercept(func(w http.ResponseWriter, req *http.Request) bool {
		return confluentIDLookup(r, w, req)
	})
	return r
}

var idPath = regexp.MustCompile(`^/schemas/ids/[0-9]+$`)

func confluentIDLookup(r *srfake.Registry, w http.ResponseWriter, req *http.Request) bool {
	if req.Method != http.MethodGet || !idPath.MatchString(req.URL.Path) {
		return false
	}
	q := req.URL.Query()
	format := q.Get("format")
	q.Del("subject")
	req.URL.RawQuery = q.Encode()
	if format != "serialized" {
		return false
	}
	var s sr.SubjectSchema
	if status := get(r, req.URL.Path, &s); status != http.StatusOK || s.Type != sr.TypeProtobuf {
		return false // srfake answers the error, or the text of another language
	}
	refs := map[string]string{}
	if err := references(r, s.References, refs, 0); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return true
	}
	name := "ferry_schema.proto"
	fd, err := protobuf.FileDescriptor(req.Context(), name, s.Schema.Schema, refs)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return true
	}
	s.Schema.Schema = base64.StdEncoding.EncodeToString(fd)
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	_ = json.NewEncoder(w).Encode(s)
	return true
}

// get answers path from the registry itself, decoded into into.
func get(r *srfake.Registry, path string, into any) int {
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, path, nil))
	if rec.Code == http.StatusOK {
		if json.Unmarshal(rec.Body.Bytes(), into) != nil {
			return http.StatusInternalServerError
		}
	}
	return rec.Code
}

// references collects the texts of refs and of what they refer to, by the
// names they are imported by.
func references(r *srfake.Registry, refs []sr.SchemaReference, out map[string]string, depth int) error {
	if depth > 32 {
		return fmt.Errorf("references nest deeper than 32")
	}
	for _, ref := range refs {
		if _, ok := out[ref.Name]; ok {
			continue
		}
		var s sr.SubjectSchema
		path := fmt.Sprintf("/subjects/%s/versions/%d", strings.ReplaceAll(ref.Subject, "/", "%2F"), ref.Version)
		if status := get(r, path, &s); status != http.StatusOK {
			return fmt.Errorf("reference %q: subject %q version %d: HTTP %d", ref.Name, ref.Subject, ref.Version, status)
		}
		out[ref.Name] = s.Schema.Schema
		if err := references(r, s.References, out, depth+1); err != nil {
			return err
		}
	}
	return nil
}
