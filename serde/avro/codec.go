package avro

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-connect/ferry/serde"
)

func init() {
	serde.MustRegister("avro", newAvroCodec)
}

// avroCodec is plain binary Avro: the schema is known to both sides and
// the bytes carry no header (what Bytewax and others call plain Avro).
type avroCodec struct {
	writer *node
	reader *node
	opts   serde.JSONOptions
}

func newAvroCodec(c serde.Config) (serde.Codec, error) {
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, errors.New("plain avro needs a schema (schema or schema_file)")
	}
	w, _, err := compileSchema(text)
	if err != nil {
		return nil, err
	}
	r := w
	if c.ReaderSchema != "" {
		if r, _, err = compileSchema(c.ReaderSchema); err != nil {
			return nil, fmt.Errorf("reader_schema: %w", err)
		}
		if _, err := planCheck(w, r); err != nil {
			return nil, fmt.Errorf("reader_schema cannot read data written with schema: %w", err)
		}
	}
	return &avroCodec{writer: w, reader: r, opts: c.JSON}, nil
}

func (*avroCodec) TakesJSON() bool { return true }

func (a *avroCodec) Serialize(_ context.Context, _ serde.Target, payload []byte) ([]byte, error) {
	return jsonToAvro(a.writer, a.opts, make([]byte, 0, len(payload)), payload)
}

func (a *avroCodec) Deserialize(_ context.Context, _ serde.Target, data []byte) ([]byte, error) {
	return avroToJSON(a.writer, a.reader, a.opts, nil, data)
}

// planCheck resolves the top-level records of w and r, so an incompatible
// reader schema is reported when the codec is built.
func planCheck(w, r *node) (*recordPlan, error) {
	if w.kind == kRecord && r.kind == kRecord {
		return planFor(w, r)
	}
	if !promotable(w, r) && r.kind != kUnion && w.kind != kUnion {
		return nil, fmt.Errorf("written as %s, cannot be read as %s", w.typeName(), r.typeName())
	}
	return nil, nil
}
