// Package serde turns message payloads into Kafka record bytes and back.
//
// It is the serializer layer shared by every Ferry component: the kafka_sink
// output encodes keys and values with it, the kafka_source input decodes
// them, and the serialize/deserialize processors expose it to pipelines.
// The package does not import Benthos, so a Go program can use the same
// codecs without running a pipeline, and a Go user can add a codec with
// Register that YAML configs then name with `type:`.
//
// This package is the contract: Codec, Config, Register and New, the
// schemaless codecs (bytes, string, json) and the errors callers match on.
// Each schema language is a package of its own that registers its codecs
// when imported: serde/avro, serde/protobuf and serde/jsonschema. What
// they share with Confluent's serializers (the wire framing, the registry
// client and its caches, subject strategies) is serde/confluent, and the
// JSON forms Avro and Protobuf both write are serde/internal/jsonw.
package serde

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ferry-connect/ferry/serde/confluent"
)

// Target says what a payload is being encoded for. Schema-aware codecs use
// it to pick a subject (for example `<topic>-value`); simple codecs ignore
// it.
type Target struct {
	// Topic is the Kafka topic the record is written to or read from.
	Topic string
	// Key is true when the payload is a record key rather than its value.
	Key bool
	// Headers are the record's headers, or nil when the caller has none.
	// Deserialize may read them (a Confluent codec looks there for the
	// schema first); Serialize may set one (header framing). A codec
	// that needs them and finds nil says so in its error.
	Headers Headers
}

// Serializer encodes one payload into the bytes written to Kafka.
//
// Implementations must be safe for concurrent use: a sink serializes the
// records of several batches at once.
type Serializer interface {
	Serialize(ctx context.Context, t Target, payload []byte) ([]byte, error)
}

// Deserializer decodes the bytes of a Kafka record key or value into the
// payload a pipeline works with. Implementations must be safe for
// concurrent use.
type Deserializer interface {
	Deserialize(ctx context.Context, t Target, data []byte) ([]byte, error)
}

// Codec is a named serializer and deserializer pair built from a Config.
type Codec interface {
	Serializer
	Deserializer
}

// JSONInput is implemented by codecs whose Serialize expects a JSON
// document (json, and the Avro codecs that map JSON onto a schema). Callers
// that extract a value from a structured message, such as kafka_sink's
// key_field, hand such codecs the JSON text of the value (a string becomes
// "\"abc\"") and hand every other codec the bare text (abc).
type JSONInput interface {
	TakesJSON() bool
}

// TakesJSON reports whether c wants JSON input (see JSONInput).
func TakesJSON(c Codec) bool {
	j, ok := c.(JSONInput)
	return ok && j.TakesJSON()
}

// Config selects and configures a codec. Fields a codec does not use are
// ignored by it; Options carries the settings of codecs registered from Go.
type Config struct {
	// Type is the registered name of the codec: bytes, string, json, avro,
	// avro_confluent, json_schema, json_schema_confluent, protobuf,
	// protobuf_confluent, or a name given to Register.
	Type string

	// Schema is the schema text in the codec's language: an Avro schema
	// (JSON), a JSON Schema, or a .proto file. For avro it is the schema
	// the data is written with; for avro_confluent it is the local schema
	// registered or looked up for encoding, and the reader schema that
	// decoded records are resolved to. The other _confluent codecs
	// register or look it up for encoding, and decode with the writer's
	// schema. SchemaFile names a file holding it.
	Schema     string
	SchemaFile string
	// ReaderSchema, for avro only, is the schema decoded records are
	// resolved to when it differs from the writer's Schema.
	ReaderSchema string
	// JSON says how JSON maps onto Avro.
	JSON JSONOptions

	// Subject names the registry subject explicitly; otherwise
	// SubjectStrategy derives it (topic_name by default).
	Subject         string
	SubjectStrategy string
	// AutoRegister registers the local schema under the subject when it
	// is not there yet; otherwise it must already be registered. The YAML
	// stanza defaults it to true.
	AutoRegister bool
	// UseLatest encodes with the subject's latest registered schema
	// instead of the local one, refreshed every LatestRefresh.
	UseLatest     bool
	LatestRefresh time.Duration
	// Registry is the schema registry to use.
	Registry RegistryConfig
	// Validate, for json_schema and json_schema_confluent, checks each
	// decoded record against its schema (encoding always checks).
	Validate bool
	// Message, for protobuf and protobuf_confluent, is the full name of
	// the message type payloads encode to (e.g. shop.v1.Order); empty
	// means the schema's first message. ImportPaths are the directories
	// the imports of a .proto schema are found in.
	Message     string
	ImportPaths []string

	// References are the schemas the local Schema refers to, registered
	// under their own subjects: Avro named types defined elsewhere (by
	// full name), JSON Schema $refs. They are fetched to compile the
	// local schema and registered with it. Protobuf imports are found
	// through ImportPaths instead.
	References []confluent.SchemaReference
	// SchemaIDLocation is where a Confluent codec names the schema it
	// writes with: "payload" (the default: magic byte 0 and the ID before
	// the body) or "header" (magic byte 1 and the schema's GUID in the
	// __key_schema_id or __value_schema_id header, as Confluent's
	// HeaderSchemaIdSerializer writes). Decoding reads both, always.
	SchemaIDLocation string

	// DefaultSchemaID, for the Confluent codecs' decoding, is the schema
	// a record with no frame (no schema header, and a payload too short
	// or with a magic byte of neither kind) is read with, all of it the
	// body, instead of failing: Redpanda Connect's default_schema_id. 0
	// means none. Protobuf refuses it (a record without message indexes
	// names no message).
	DefaultSchemaID int
	// MapSchema, for avro_confluent, rewrites each schema fetched from
	// the registry (references too) before it is compiled: Redpanda
	// Connect's avro.mapping, which turns other tools' custom types into
	// standard Avro.
	MapSchema func(schema string) (string, error)
	// AnyMessage, for protobuf_confluent with use_latest and no message,
	// encodes each payload as the first of the schema's top-level
	// messages it parses as (the last one that did is tried first), as
	// Redpanda Connect's schema_registry_encode does.
	AnyMessage bool

	// DecodeOnly says the codec will only decode, so avro_confluent needs
	// no local schema (the writer's schema comes from the registry).
	DecodeOnly bool

	// Options holds codec-specific settings, for codecs added with
	// Register. Built-in codecs read their own typed fields instead.
	Options map[string]any
}

// RegistryConfig is how to reach a Confluent-compatible schema registry.
// It is the confluent package's, named here so that a Config can be
// written with serde alone.
type RegistryConfig = confluent.RegistryConfig

// Factory builds a codec from its configuration. It is called once per
// component, at construction, so it may do expensive work such as parsing
// a schema.
type Factory func(Config) (Codec, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a codec available under name, so that configs can select
// it with `type: <name>`. It returns an error if the name is empty or taken:
// the built-in names cannot be replaced.
func Register(name string, f Factory) error {
	if name == "" {
		return fmt.Errorf("serde: register: empty codec name")
	}
	if f == nil {
		return fmt.Errorf("serde: register %q: nil factory", name)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, exists := registry[name]; exists {
		return fmt.Errorf("serde: register %q: a codec with this name already exists", name)
	}
	registry[name] = f
	return nil
}

// MustRegister is Register for package init functions: it panics on error.
func MustRegister(name string, f Factory) {
	if err := Register(name, f); err != nil {
		panic(err)
	}
}

// Types lists the registered codec names, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the codec that c.Type names.
func New(c Config) (Codec, error) {
	registryMu.RLock()
	f, ok := registry[c.Type]
	registryMu.RUnlock()
	if !ok {
		if pkg, known := formatPackages[c.Type]; known {
			return nil, fmt.Errorf("serializer type %q is not linked into this program: import _ %q (registered: %v)", c.Type, pkg, Types())
		}
		return nil, fmt.Errorf("unknown serializer type %q (registered: %v)", c.Type, Types())
	}
	codec, err := f(c)
	if err != nil {
		return nil, fmt.Errorf("serializer type %q: %w", c.Type, err)
	}
	return codec, nil
}
