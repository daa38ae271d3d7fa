package devcluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
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
//     its FileDescriptorProto, base64, instead of .proto text;
//   - POST /subjects/{subject}/versions answers the registered schema in
//     full (ID, version, GUID), as Confluent Platform 8 does, where srfake
//     answers the ID alone: Confluent's serializers take the GUID they
//     frame a header with from that answer.
func NewRegistry() *srfake.Registry {
	r := srfake.NewRegistry()
	r.Intercept(func(w http.ResponseWriter, req *http.Request) bool {
		if req.Header.Get(innerHeader) != "" {
			return false // the registry asking itself: srfake answers
		}
		return confluentIDLookup(r, w, req) || fullRegisterAnswer(r, w, req)
	})
	return r
}

// innerHeader marks the requests the interceptors make of srfake.
const innerHeader = "X-Ferry-Dev-Registry-Inner"

var versionsPath = regexp.MustCompile(`^/subjects/([^/]+)/versions$`)

func fullRegisterAnswer(r *srfake.Registry, w http.ResponseWriter, req *http.Request) bool {
	m := versionsPath.FindStringSubmatch(req.URL.EscapedPath())
	if req.Method != http.MethodPost || m == nil {
		return false
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return false
	}
	reg := serve(r, http.MethodPost, req.URL.RequestURI(), body)
	if reg.Code != http.StatusOK {
		copyResponse(w, reg)
		return true
	}
	// The same schema, looked up under the subject: srfake answers that
	// with subject, version, ID and GUID.
	q := req.URL.Query()
	q.Del("normalize")
	look := serve(r, http.MethodPost, "/subjects/"+m[1]+"?"+q.Encode(), body)
	if look.Code != http.StatusOK {
		copyResponse(w, reg)
		return true
	}
	copyResponse(w, look)
	return true
}

// serve answers a request from the registry itself.
func serve(r *srfake.Registry, method, uri string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), method, uri, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	req.Header.Set(innerHeader, "1")
	r.Handler().ServeHTTP(rec, req)
	return rec
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
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
	rec := serve(r, http.MethodGet, path, nil)
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
