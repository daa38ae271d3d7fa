package jsonschema

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
)

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
	framing   string
	scope     string // the subject ID lookups are scoped to, when set
	defaultID int
}

func newJSONSchemaConfluentCodec(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("json_schema_confluent needs schema_registry.url")
	}
	if err := confluent.CheckFraming(c.SchemaIDLocation); err != nil {
		return nil, err
	}
	if len(c.References) > 0 {
		// A local schema's $refs are resolved from files beside it
		// (schema_file); registering them as references is not built.
		return nil, errors.New("json_schema_confluent: references are not supported for the local schema; its $refs are read relative to schema_file")
	}
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	j := &jsonSchemaConfluentCodec{localText: text, register: c.AutoRegister, latest: c.UseLatest, validate: c.Validate, framing: c.SchemaIDLocation, scope: c.Subject, defaultID: c.DefaultSchemaID}
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

// SchemaHeader names the header this codec frames with, so that a sink
// replaces a stale one copied from another record's metadata.
func (j *jsonSchemaConfluentCodec) SchemaHeader(key bool) string { return confluent.SchemaHeader(key) }

func (j *jsonSchemaConfluentCodec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	var id confluent.Ident
	var err error
	s := j.local
	guid := j.framing == confluent.FramingHeader
	switch {
	case j.latest:
		id, s, err = j.reg.LatestIdent(ctx, j.subjects.Of(t.Topic, t.Key), guid)
	case s == nil:
		return nil, errors.New("json_schema_confluent was configured to decode only: it has no schema to serialize with")
	default:
		id, err = j.reg.IdentOf(ctx, j.subjects.Of(t.Topic, t.Key), sr.Schema{Schema: j.localText, Type: sr.TypeJSON}, j.register, guid)
	}
	if err != nil {
		return nil, err
	}
	if err := s.validate(payload); err != nil {
		return nil, err
	}
	out, err := confluent.AppendFrame(make([]byte, 0, confluent.HeaderLen+len(payload)), t.Headers, t.Key, j.framing, id, nil)
	if err != nil {
		return nil, err
	}
	return append(out, payload...), nil
}

// Deserialize returns the document as it is, after checking that its
// schema is registered and carries no rules Ferry would skip; with
// validate, it also checks the document against the schema.
func (j *jsonSchemaConfluentCodec) Deserialize(ctx context.Context, t serde.Target, data []byte) ([]byte, error) {
	f, err := confluent.ReadFrameOr(t.Headers, t.Key, data, false, j.defaultID)
	if err != nil {
		return nil, err
	}
	s, err := j.reg.ByRef(ctx, f.Schema, j.scope)
	if err != nil {
		return nil, err
	}
	if !j.validate {
		return f.Body, nil
	}
	if err := s.validate(f.Body); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Schema, err)
	}
	return f.Body, nil
}
