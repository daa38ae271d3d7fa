// Package mixed is the schema_registry codec: one codec that reads a
// topic whose records were written in any of Confluent's three wire
// formats (Avro, Protobuf, JSON Schema), each record decoded in the
// language the registry gives for its schema, as Redpanda Connect's
// schema_registry_decode does; and that encodes with a subject's latest
// schema in whatever language it is, as schema_registry_encode does. It
// registers itself on import.
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
	types    *confluent.Registry[sr.SchemaType]
	by       map[sr.SchemaType]serde.Codec // decoders
	enc      map[sr.SchemaType]serde.Codec // encoders (use_latest), nil when decoding only
	subjects confluent.Subjects
	scope    string
	def      int // the default schema ID
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
	m := &codec{by: map[sr.SchemaType]serde.Codec{}, scope: c.Subject, def: c.DefaultSchemaID}
	var err error
	if !c.DecodeOnly {
		if !c.UseLatest {
			return nil, errors.New("schema_registry encodes with the subject's latest schema, whose type says the format: set use_latest")
		}
		if m.subjects, err = confluent.NewSubjects(c.Subject, c.SubjectStrategy, ""); err != nil {
			return nil, err
		}
		if m.subjects.NeedsName() {
			return nil, fmt.Errorf("schema_registry has no local schema to take a record name from: subject_strategy %s cannot be used; set subject", m.subjects.Strategy())
		}
		m.enc = map[sr.SchemaType]serde.Codec{}
	}
	for t, name := range formats {
		fc := c
		fc.Type, fc.DecodeOnly = name, true
		if t == sr.TypeProtobuf {
			fc.DefaultSchemaID = 0 // refused there; a Protobuf record without a frame fails
		}
		if m.by[t], err = serde.New(fc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if m.enc != nil {
			fc.DecodeOnly, fc.DefaultSchemaID = false, 0
			if m.enc[t], err = serde.New(fc); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
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

// Serialize encodes with the subject's latest schema, in the language the
// registry gives for it, as Redpanda Connect's schema_registry_encode does.
func (m *codec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	if m.enc == nil {
		return nil, errors.New("schema_registry was configured to decode only")
	}
	_, typ, err := m.types.LatestIdent(ctx, m.subjects.Of(t.Topic, t.Key), false)
	if err != nil {
		return nil, err
	}
	return m.enc[typ].Serialize(ctx, t, payload)
}

// Deserialize asks the registry the record's schema language (once per
// schema) and decodes with that language's codec.
func (m *codec) Deserialize(ctx context.Context, t serde.Target, data []byte) ([]byte, error) {
	ref, err := confluent.PeekSchemaOr(t.Headers, t.Key, data, m.def)
	if err != nil {
		return nil, err
	}
	typ, err := m.types.ByRef(ctx, ref, m.scope)
	if err != nil {
		return nil, err
	}
	return m.by[typ].Deserialize(ctx, t, data)
}
