package jsonschema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/twmb/franz-go/pkg/sr"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer words validation errors as the validator's own Error does.
var printer = message.NewPrinter(language.English)

func init() {
	serde.MustRegister("json_schema", newJSONSchemaCodec)
	serde.MustRegister("json_schema_confluent", newJSONSchemaConfluentCodec)
}

// jsonSchema is a compiled JSON Schema and the name Confluent's record
// strategies give it (its title).
type jsonSchema struct {
	s     *jsonschema.Schema
	title string
}

// compileJSONSchema compiles text, whose $refs may name the schemas in
// refs (by the names a Confluent schema reference gives them) or, for a
// schema read from loc (a file), files beside it. Schemas without
// $schema are read as draft-07, as Confluent's serializers read them.
func compileJSONSchema(text, loc string, refs map[string]string) (*jsonSchema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("the schema is not JSON: %w", err)
	}
	if loc == "" {
		loc = "mem:///schema.json"
	}
	base, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("schema location %q: %w", loc, err)
	}
	obj, _ := doc.(map[string]any)
	if id, ok := obj["$id"].(string); ok {
		if u, err := url.Parse(id); err == nil && u.IsAbs() {
			base = u
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	for name, text := range refs {
		ref, err := url.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("reference %q: %w", name, err)
		}
		rdoc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			return nil, fmt.Errorf("reference %q is not JSON: %w", name, err)
		}
		if err := c.AddResource(base.ResolveReference(ref).String(), rdoc); err != nil {
			return nil, fmt.Errorf("reference %q: %w", name, err)
		}
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON Schema: %w", err)
	}
	js := &jsonSchema{s: s}
	js.title, _ = obj["title"].(string)
	return js, nil
}

// validate checks payload against the schema. The error names each
// failing location and why, on one line, for dead-letter headers.
func (js *jsonSchema) validate(payload []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("%w: not JSON: %v", serde.ErrInvalid, err)
	}
	if err := js.s.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w: %s", serde.ErrInvalid, validationText(ve))
		}
		return fmt.Errorf("%w: %v", serde.ErrInvalid, err)
	}
	return nil
}

// validationText flattens a validation error's leaves into
// "at '/age': minimum: got -1, want 0; at ...".
func validationText(ve *jsonschema.ValidationError) string {
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			leaves = append(leaves, fmt.Sprintf("at %q: %s", loc, e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(leaves) // the validator's order follows a map's
	return strings.Join(leaves, "; ")
}

// schemaLoc is where a local schema is read from, so relative $refs find
// the files beside a schema_file.
func schemaLoc(c serde.Config) string {
	if c.SchemaFile == "" {
		return ""
	}
	abs, err := filepath.Abs(c.SchemaFile)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// jsonSchemaCodec is JSON checked against a JSON Schema both sides know,
// with no header.
type jsonSchemaCodec struct {
	schema   *jsonSchema
	validate bool // on decode
}

func newJSONSchemaCodec(c serde.Config) (serde.Codec, error) {
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, errors.New("json_schema needs a schema (schema or schema_file)")
	}
	js, err := compileJSONSchema(text, schemaLoc(c), nil)
	if err != nil {
		return nil, err
	}
	return &jsonSchemaCodec{schema: js, validate: c.Validate}, nil
}

func (*jsonSchemaCodec) TakesJSON() bool { return true }

func (j *jsonSchemaCodec) Serialize(_ context.Context, _ serde.Target, payload []byte) ([]byte, error) {
	if err := j.schema.validate(payload); err != nil {
		return nil, err
	}
	return payload, nil
}

func (j *jsonSchemaCodec) Deserialize(_ context.Context, _ serde.Target, data []byte) ([]byte, error) {
	if j.validate {
		if err := j.schema.validate(data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// jsonSchemaConfluentCodec is Confluent's JSON Schema wire format: a zero
// byte, the 4-byte schema ID, then the JSON document as UTF-8.
type jsonSchemaConfluentCodec struct {
	reg       *confluent.Registry[*jsonSchema]
	local     *jsonSchema // nil when decoding only, or with use_latest and no schema
	localText string
	subjects  confluent.Subjects
	register  bool
	latest    bool
	validate  bool // on decode
}

func newJSONSchemaConfluentCodec(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("json_schema_confluent needs schema_registry.url")
	}
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	j := &jsonSchemaConfluentCodec{localText: text, register: c.AutoRegister, latest: c.UseLatest, validate: c.Validate}
	if text != "" {
		if j.local, err = compileJSONSchema(text, schemaLoc(c), nil); err != nil {
			return nil, err
		}
	} else if !j.latest && !c.DecodeOnly {
		return nil, errors.New("json_schema_confluent needs a schema (schema or schema_file) to serialize, unless use_latest is set")
	}
	title := ""
	if j.local != nil {
		title = j.local.title
	}
	if j.subjects, err = confluent.NewSubjects(c.Subject, c.SubjectStrategy, title); err != nil {
		return nil, err
	}
	if j.subjects.NeedsName() && title == "" && !c.DecodeOnly {
		return nil, fmt.Errorf("subject_strategy %s needs a local schema with a title to take the record name from", j.subjects.Strategy())
	}
	j.reg, err = confluent.NewRegistry(c.Registry, sr.TypeJSON, c.LatestRefresh, func(ctx context.Context, s sr.Schema) (*jsonSchema, error) {
		refs, err := j.reg.References(ctx, s)
		if err != nil {
			return nil, err
		}
		return compileJSONSchema(s.Schema, "", refs)
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

func (*jsonSchemaConfluentCodec) TakesJSON() bool { return true }

// SubjectFor names the registry subject for a topic's keys or values.
func (j *jsonSchemaConfluentCodec) SubjectFor(t serde.Target) string {
	return j.subjects.Of(t.Topic, t.Key)
}

func (j *jsonSchemaConfluentCodec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	var id int
	var err error
	s := j.local
	switch {
	case j.latest:
		id, s, err = j.reg.Latest(ctx, j.subjects.Of(t.Topic, t.Key))
	case s == nil:
		return nil, errors.New("json_schema_confluent was configured to decode only: it has no schema to serialize with")
	default:
		id, err = j.reg.IDOf(ctx, j.subjects.Of(t.Topic, t.Key), sr.Schema{Schema: j.localText, Type: sr.TypeJSON}, j.register)
	}
	if err != nil {
		return nil, err
	}
	if err := s.validate(payload); err != nil {
		return nil, err
	}
	out := make([]byte, 0, confluent.HeaderLen+len(payload))
	return append(confluent.AppendHeader(out, id), payload...), nil
}

func (j *jsonSchemaConfluentCodec) Deserialize(ctx context.Context, _ serde.Target, data []byte) ([]byte, error) {
	id, body, err := confluent.ParseHeader(data)
	if err != nil {
		return nil, err
	}
	if !j.validate {
		return body, nil
	}
	s, err := j.reg.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.validate(body); err != nil {
		return nil, fmt.Errorf("schema ID %d: %w", id, err)
	}
	return body, nil
}
