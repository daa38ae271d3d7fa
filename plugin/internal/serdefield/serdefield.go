// Package serdefield is the Benthos side of the serializer stanza: the one
// set of field specs that kafka_sink, kafka_source and the
// serialize/deserialize processors embed, and its conversion into a
// serde.Config. Keeping it in one place means every component documents
// and validates the stanza the same way, and serde itself stays free of
// Benthos.
package serdefield

import (
	// The schema languages the stanza offers register their codecs.
	_ "github.com/ferry-connect/ferry/serde/avro"
	"github.com/ferry-connect/ferry/serde/confluent"
	_ "github.com/ferry-connect/ferry/serde/jsonschema"
	_ "github.com/ferry-connect/ferry/serde/mixed"
	_ "github.com/ferry-connect/ferry/serde/protobuf"

	"fmt"
	"strconv"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/serde"
)

// Field names inside the stanza.
const (
	FieldType              = "type"
	FieldSchema            = "schema"
	FieldSchemaFile        = "schema_file"
	FieldReaderSchema      = "reader_schema"
	FieldSubject           = "subject"
	FieldSubjectStrategy   = "subject_strategy"
	FieldAutoRegister      = "auto_register"
	FieldUseLatest         = "use_latest"
	FieldLatestRefresh     = "latest_refresh"
	FieldTaggedUnions      = "tagged_unions"
	FieldIgnoreExtraFields = "ignore_extra_fields"
	FieldRegistry          = "schema_registry"
	FieldOptions           = "options"
	FieldMessage           = "message"
	FieldImportPaths       = "import_paths"
	FieldUseProtoNames     = "use_proto_names"
	FieldUseEnumNumbers    = "use_enum_numbers"
	FieldValidate          = "validate"
	FieldSchemaIDLocation  = "schema_id_location"
	FieldReferences        = "references"
	FieldNormalize         = "normalize"
)

// Mode says what a component does with its stanza.
type Mode bool

// The modes.
const (
	Decode Mode = false // it only decodes (no local schema is then needed)
	Encode Mode = true  // it encodes
)

// Rules are the stanza's cross-field rules, refused at `connect lint` and
// when the codec is built alike. field is where the stanza sits (e.g.
// value_serializer), named in the messages; "" for a stanza at a
// component's top level. Unknown types are checked when the codec is
// built, since Go code may register more.
func Rules(field string, mode Mode) confrules.Set {
	at := ""
	if field != "" {
		at = field + ": "
	}
	msg := func(s string) string { return strconv.Quote(at + s) }
	set := confrules.Set{
		Lets: []string{
			`let t = this.type.or("")`,
			`let has_schema = this.schema.or("") != "" || this.schema_file.or("") != ""`,
			// url is a string or a list; a value of another type is the
			// registry block's own lint error.
			`let url = this.schema_registry.url.or([])`,
			`let no_registry = ($url.type() == "array" && $url.length() == 0) || ($url.type() == "string" && $url.trim() == "")`,
		},
		Rules: []confrules.Rule{
			{When: `this.schema.or("") != "" && this.schema_file.or("") != ""`, Message: msg("fields schema and schema_file are mutually exclusive")},
			{When: `["avro", "json_schema", "protobuf"].contains($t) && !$has_schema`, Message: `"` + at + `type %s needs schema or schema_file".format($t)`},
			{When: `["avro_confluent", "json_schema_confluent", "protobuf_confluent", "schema_registry"].contains($t) && $no_registry`, Message: `"` + at + `type %s needs schema_registry.url".format($t)`},
			{When: `$t != "avro" && this.reader_schema.or("") != ""`, Message: msg("reader_schema applies to type avro only (avro_confluent reads with schema)")},
			{When: `!$t.has_prefix("protobuf") && this.message.or("") != ""`, Message: msg("message applies to types protobuf and protobuf_confluent only")},
			{When: `!$t.has_prefix("protobuf") && this.import_paths.or([]).length() > 0`, Message: msg("import_paths applies to types protobuf and protobuf_confluent only")},
			{When: `!$t.has_prefix("protobuf") && (this.use_proto_names.or(false) || this.use_enum_numbers.or(false))`, Message: msg("use_proto_names and use_enum_numbers apply to types protobuf and protobuf_confluent only")},
			{When: `!$t.has_prefix("json_schema") && this.validate.or(false)`, Message: msg("validate applies to types json_schema and json_schema_confluent only")},
		},
	}
	if mode == Encode {
		set.Rules = append(set.Rules, confrules.Rule{
			When:    `["avro_confluent", "json_schema_confluent", "protobuf_confluent"].contains($t) && !$has_schema && !this.use_latest.or(false)`,
			Message: `"` + at + `type %s needs schema or schema_file to serialize, or use_latest: true".format($t)`,
		}, confrules.Rule{
			When:    `$t == "schema_registry" && !this.use_latest.or(false)`,
			Message: msg("type schema_registry encodes with the subject's latest schema, whose type says the format: set use_latest (or choose avro_confluent, protobuf_confluent or json_schema_confluent)"),
		}, confrules.Rule{
			When:    `!$t.has_suffix("_confluent") && this.schema_id_location.or("payload") != "payload"`,
			Message: msg("schema_id_location applies to the _confluent types only"),
		}, confrules.Rule{
			When:    `$t != "avro_confluent" && this.references.or([]).length() > 0`,
			Message: msg("references apply to type avro_confluent only (protobuf_confluent registers the schema's imports itself)"),
		})
	} else {
		for _, f := range encoderOnly {
			set.Rules = append(set.Rules, confrules.Rule{
				When:    fmt.Sprintf("this.%s.or(null) != null", f),
				Message: msg(f + " applies to encoding only: a decoder reads the writer's schema by the ID in each record"),
			})
		}
	}
	return set
}

// Fields returns the stanza's fields for mode, for components that take
// the stanza at their top level (the serialize and deserialize
// processors). A decoder takes only what decoding uses: the subject, its
// strategy, registration and use_latest concern encoding (a decoder
// reads the writer's schema by the ID in each record), so they are not
// fields of a decoding stanza, and lint names them as such.
func Fields(defType string, mode Mode) []*service.ConfigField {
	fields := []*service.ConfigField{
		service.NewStringField(FieldType).
			Description("The codec: `bytes` (as is), `string` (UTF-8 text), `json` (one JSON document, checked), `avro` (binary Avro with a known schema, no header), `avro_confluent` (Confluent wire format: a zero byte, the 4-byte schema ID, then binary Avro), `json_schema` (JSON checked against a JSON Schema, no header), `json_schema_confluent` (the Confluent header, then the JSON), `protobuf` (a Protobuf message's bytes, no header), `protobuf_confluent` (the Confluent header, the message indexes, then the message's bytes), `schema_registry` (any of the three `_confluent` formats, as the registry says: each record's schema when decoding, the subject's latest with `use_latest` when encoding), or a type registered from Go with `serde.Register`.").
			Default(defType).
			Examples("json", "avro_confluent", "protobuf_confluent"),
		service.NewStringField(FieldSchema).
			Description("The schema, in the codec's language: an Avro schema (JSON), a JSON Schema, or a `.proto` file. For `avro` it is the schema the data is written with. For `avro_confluent` it is registered (or looked up) under the subject for encoding, and decoded records are resolved to it (schema evolution). For `json_schema_confluent` and `protobuf_confluent` it is registered (or looked up) for encoding; decoding uses the writer's schema, by the ID in each record.").
			Default("").
			Example(`{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`),
		service.NewStringField(FieldSchemaFile).
			Description("A file holding the schema, instead of `schema`.").
			Default("").
			Example("./schemas/order.avsc").
			Example("./protos/shop/v1/order.proto"),
		service.NewStringField(FieldMessage).
			Description("For `protobuf` and `protobuf_confluent`: the full name of the message type payloads are (e.g. `shop.v1.Order`). Empty means the schema's first message. Decoding `protobuf_confluent` takes the type from each record's message indexes instead.").
			Default(""),
		service.NewStringListField(FieldImportPaths).
			Description("For `protobuf` and `protobuf_confluent`: directories the schema's imports are found in. Protobuf's well-known types (`google/protobuf/*.proto`) need none.").
			Default([]any{}).
			Advanced(),
		service.NewBoolField(FieldUseProtoNames).
			Description("For Protobuf: write JSON fields under their `.proto` names (`order_id`) instead of protojson's lowerCamelCase names (`orderId`). Either is read.").
			Default(false).
			Advanced(),
		service.NewBoolField(FieldUseEnumNumbers).
			Description("For Protobuf: write enum values as numbers instead of names. Either is read.").
			Default(false).
			Advanced(),
		service.NewStringField(FieldReaderSchema).
			Description("For `avro` only: the schema decoded records are resolved to, when data was written with an older or newer `schema`.").
			Default("").
			Advanced(),
		service.NewBoolField(FieldTaggedUnions).
			Description("Read and write Avro unions in JSON as `{\"<type>\": value}` (Avro's JSON encoding) rather than as the bare value.").
			Default(false).
			Advanced(),
		service.NewBoolField(FieldIgnoreExtraFields).
			Description("Drop JSON fields that the Avro record or Protobuf message does not have, instead of failing the record.").
			Default(false).
			Advanced(),
		RegistryField(),
		service.NewStringField(FieldSubject).
			Description("For the `_confluent` types: the registry subject. Encoding registers or looks the schema up under it, overriding `subject_strategy`. Decoding sends it with each schema ID lookup (`?subject=`, as Confluent's deserializers do), which a registry with schema contexts needs to find the ID's context.").
			Default(""),
		service.NewAnyMapField(FieldOptions).
			Description("Settings for a codec registered from Go; the built-in codecs take none.").
			Optional().
			Advanced(),
	}
	if mode == Encode {
		fields = append(fields, encoderFields()...)
	} else {
		fields = append(fields, service.NewBoolField(FieldValidate).
			Description("For `json_schema` and `json_schema_confluent`: check each record read against its schema (`json_schema_confluent` fetches the writer's schema by ID). A record that does not validate is a deserialization error. Encoding always validates.").
			Default(false))
	}
	return fields
}

// encoderFields are the fields only encoding uses.
func encoderFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringAnnotatedEnumField(FieldSubjectStrategy, map[string]string{
			confluent.StrategyTopicName:       "`<topic>-key` or `<topic>-value` (Confluent's default).",
			confluent.StrategyRecordName:      "The record's full name (Avro), the message's full name (Protobuf) or the schema's `title` (JSON Schema), whatever the topic.",
			confluent.StrategyTopicRecordName: "`<topic>-<record name>`, the record name as for `record_name`.",
		}).
			Description("For the `_confluent` types: how the subject is named when `subject` is empty.").
			Default(confluent.StrategyTopicName),
		service.NewBoolField(FieldAutoRegister).
			Description("For the `_confluent` types: register the schema under the subject if it is not there (with `protobuf_confluent`, each imported file too, under its import path). When off, the schema must already be registered.").
			Default(true),
		service.NewBoolField(FieldUseLatest).
			Description("For the `_confluent` types: encode with the subject's latest registered schema instead of `schema`.").
			Default(false),
		service.NewDurationField(FieldLatestRefresh).
			Description("With `use_latest`, how often to look for a newer latest version.").
			Default("5m").
			Advanced(),
		service.NewStringAnnotatedEnumField(FieldSchemaIDLocation, map[string]string{
			confluent.FramingPayload: "Before the body: magic byte 0 and the 4-byte schema ID (Confluent's classic framing, read by every Confluent deserializer).",
			confluent.FramingHeader:  "In the `__value_schema_id` (or `__key_schema_id`) record header: magic byte 1 and the schema's 16-byte GUID, the body left bare (Confluent's `HeaderSchemaIdSerializer`; read by Confluent's deserializers from Confluent Platform 8 and by Ferry; needs a registry that gives GUIDs).",
		}).
			Description("For the `_confluent` types: where the schema is named. Decoding reads both, always: the header first, then the payload.").
			Default(confluent.FramingPayload).
			Advanced(),
		service.NewObjectListField(FieldReferences,
			service.NewStringField("name").Description("The name the schema uses for the referenced one: an Avro type's full name."),
			service.NewStringField("subject").Description("The subject the referenced schema is registered under."),
			service.NewIntField("version").Description("Its version; -1 is the latest, resolved when the codec first runs.").Default(-1),
		).
			Description("For `avro_confluent`: schemas the local `schema` refers to, registered under subjects of their own (Confluent schema references). They are fetched to compile the schema and registered with it.").
			Optional().
			Advanced(),
		service.NewBoolField(FieldNormalize).
			Description("For the `_confluent` types: ask the registry to normalize the schema before registering or looking it up (Confluent's `normalize.schemas`), so schemas that differ only in form share an ID.").
			Default(false).
			Advanced(),
	}
}

// encoderOnly are the encoder fields, which a decoding stanza refuses.
var encoderOnly = []string{FieldSubjectStrategy, FieldAutoRegister, FieldUseLatest, FieldLatestRefresh, FieldSchemaIDLocation, FieldReferences, FieldNormalize}

// Spec returns the stanza as the object field `name`, defaulting to the
// codec defType, with its rules for mode.
func Spec(name, defType, description string, mode Mode) *service.ConfigField {
	return service.NewObjectField(name, Fields(defType, mode)...).
		Description(description).
		LintRule(Rules(name, mode).Lint())
}

// Named is a codec with the type name it was configured with, which
// dead-letter headers and metric reasons report.
type Named struct {
	serde.Codec
	Type string
}

// Parse builds the codec configured at field name, for mode.
func Parse(conf *service.ParsedConfig, name string, mode Mode) (Named, error) {
	ns := conf.Namespace(name)
	if err := Rules(name, mode).Check(ns); err != nil {
		return Named{}, err
	}
	n, err := build(ns, mode)
	if err != nil {
		return Named{}, fmt.Errorf("field %s: %w", name, err)
	}
	return n, nil
}

// ParseAt builds the codec from stanza fields at the top level of conf
// (the serialize and deserialize processors).
func ParseAt(conf *service.ParsedConfig, mode Mode) (Named, error) {
	if err := Rules("", mode).Check(conf); err != nil {
		return Named{}, err
	}
	return build(conf, mode)
}

func build(conf *service.ParsedConfig, mode Mode) (Named, error) {
	c, err := config(conf, mode)
	if err != nil {
		return Named{}, err
	}
	c.DecodeOnly = mode == Decode
	codec, err := serde.New(c)
	if err != nil {
		return Named{}, err
	}
	return Named{Codec: codec, Type: c.Type}, nil
}

func config(conf *service.ParsedConfig, mode Mode) (serde.Config, error) {
	var c serde.Config
	var err error
	str := func(field string, dst *string) {
		if err == nil {
			if *dst, err = conf.FieldString(field); err != nil {
				err = fmt.Errorf("%s: %w", field, err)
			}
		}
	}
	boolean := func(field string, dst *bool) {
		if err == nil {
			if *dst, err = conf.FieldBool(field); err != nil {
				err = fmt.Errorf("%s: %w", field, err)
			}
		}
	}
	str(FieldType, &c.Type)
	str(FieldSchema, &c.Schema)
	str(FieldSchemaFile, &c.SchemaFile)
	str(FieldReaderSchema, &c.ReaderSchema)
	boolean(FieldTaggedUnions, &c.JSON.TaggedUnions)
	boolean(FieldIgnoreExtraFields, &c.JSON.IgnoreExtraFields)
	boolean(FieldUseProtoNames, &c.JSON.ProtoNames)
	boolean(FieldUseEnumNumbers, &c.JSON.EnumNumbers)
	str(FieldMessage, &c.Message)
	str(FieldSubject, &c.Subject)
	if err == nil {
		if c.ImportPaths, err = conf.FieldStringList(FieldImportPaths); err != nil {
			err = fmt.Errorf("%s: %w", FieldImportPaths, err)
		}
	}
	if mode == Decode {
		boolean(FieldValidate, &c.Validate)
	}
	if mode == Encode {
		str(FieldSubjectStrategy, &c.SubjectStrategy)
		str(FieldSchemaIDLocation, &c.SchemaIDLocation)
		boolean(FieldNormalize, &c.Registry.Normalize)
		boolean(FieldAutoRegister, &c.AutoRegister)
		boolean(FieldUseLatest, &c.UseLatest)
		if err == nil {
			if c.LatestRefresh, err = conf.FieldDuration(FieldLatestRefresh); err != nil {
				err = fmt.Errorf("%s: %w", FieldLatestRefresh, err)
			}
		}
	}
	if err == nil && mode == Encode && conf.Contains(FieldReferences) {
		c.References, err = references(conf)
	}
	if err != nil {
		return c, err
	}
	normalize := c.Registry.Normalize
	if c.Registry, err = parseRegistry(conf.Namespace(FieldRegistry)); err != nil {
		return c, fmt.Errorf("%s.%w", FieldRegistry, err)
	}
	c.Registry.Normalize = normalize
	if conf.Contains(FieldOptions) {
		opts, err := conf.FieldAnyMap(FieldOptions)
		if err != nil {
			return c, fmt.Errorf("%s: %w", FieldOptions, err)
		}
		c.Options = make(map[string]any, len(opts))
		for k, v := range opts {
			if c.Options[k], err = v.FieldAny(); err != nil {
				return c, fmt.Errorf("%s.%s: %w", FieldOptions, k, err)
			}
		}
	}
	return c, nil
}

// references reads the `references` list.
func references(conf *service.ParsedConfig) ([]confluent.SchemaReference, error) {
	list, err := conf.FieldObjectList(FieldReferences)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FieldReferences, err)
	}
	out := make([]confluent.SchemaReference, len(list))
	for i, r := range list {
		if out[i].Name, err = r.FieldString("name"); err == nil {
			if out[i].Subject, err = r.FieldString("subject"); err == nil {
				out[i].Version, err = r.FieldInt("version")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", FieldReferences, i, err)
		}
	}
	return out, nil
}
