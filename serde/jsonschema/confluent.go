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
