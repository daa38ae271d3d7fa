// Package mixed is the schema_registry decoder: one codec that reads a
// topic whose records were written in any of Confluent's three wire
// formats (Avro, Protobuf, JSON Schema), each record decoded in the
// language the registry gives for its schema, as Redpanda Connect's
// schema_registry_decode does. It registers itself on import.
//
// It is the one package that imports every format: the formats stay
// independent of each other, and this one dispatches between them.
package mixed

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/avro"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/ferry-connect/ferry/serde/jsonschema"
	"github.com/ferry-connect/ferry/serde/protobuf"
	"github.com/twmb/franz-go/pkg/sr"
)

// Type is the codec's name in configs.
const Type = "schema_registry"

func init() {
	serde.MustRegister(Type, New)
}

// Each format package registers its codecs when imported; naming their
// codec types here keeps the imports and says which codec reads which
// language.
var formats = map[sr.SchemaType]string{
	sr.TypeAvro:     avro.ConfluentType,
	sr.TypeProtobuf: protobuf.ConfluentType,
	sr.TypeJSON:     jsonschema.ConfluentType,
}

type codec struct {
	types *confluent.Registry[sr.SchemaType]
	by    map[sr.SchemaType]serde.Codec
	scope string
}

// New builds the decoder. Its Config is that of the _confluent codecs,
// without a local schema (each record is read with its writer's schema);
// their JSON options apply to the formats that have them.
func New(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("schema_registry needs schema_registry.url")
	}
	if s, _ := c.SchemaText(); s != "" || c.ReaderSchema != "" || c.Message != "" {
		return nil, errors.New("schema_registry reads each record with its writer's schema: schema, schema_file, reader_schema and message do not apply (choose a _confluent type to read with a schema of your own)")
	}
	m := &codec{by: map[sr.SchemaType]serde.Codec{}, scope: c.Subject}
	for t, name := range formats {
		fc := c
		fc.Type, fc.DecodeOnly = name, true
		cd, err := serde.New(fc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m.by[t] = cd
	}
	var err error
	m.types, err = confluent.NewRegistry(c.Registry, confluent.AnyType, c.LatestRefresh, func(_ context.Context, s sr.Schema) (sr.SchemaType, error) {
		if _, ok := formats[s.Type]; !ok {
			return 0, fmt.Errorf("schema type %s is not one Ferry reads", s.Type)
		}
		return s.Type, nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// TakesJSON: every format decodes to JSON.
func (*codec) TakesJSON() bool { return true }

// Serialize refuses: which format to write in is the writer's choice, not
// the registry's.
func (*codec) Serialize(context.Context, serde.Target, []byte) ([]byte, error) {
	return nil, errors.New("schema_registry decodes only: to encode, choose avro_confluent, protobuf_confluent or json_schema_confluent")
}

// Deserialize asks the registry the record's schema language (once per
// schema) and decodes with that language's codec.
func (m *codec) Deserialize(ctx context.Context, t serde.Target, data []byte) ([]byte, error) {
	ref, err := confluent.PeekSchema(t.Headers, t.Key, data)
	if err != nil {
		return nil, err
	}
	typ, err := m.types.ByRef(ctx, ref, m.scope)
	if err != nil {
		return nil, err
	}
	return m.by[typ].Deserialize(ctx, t, data)
}
