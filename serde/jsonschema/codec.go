package jsonschema

import (
	"context"
	"errors"

	"github.com/ferry-connect/ferry/serde"
)

func init() {
	serde.MustRegister("json_schema", newJSONSchemaCodec)
	serde.MustRegister(ConfluentType, newJSONSchemaConfluentCodec)
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
