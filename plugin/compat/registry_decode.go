package compat

import (
	"context"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/kafkameta"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	_ "github.com/ferry-connect/ferry/serde/mixed" // the schema_registry codec
)

// What Redpanda Connect's schema_registry_decode offers and Ferry does not
// do: refused at lint, naming the field, rather than accepted and ignored.
var registryDecodeRules = confrules.Set{Rules: []confrules.Rule{
	{When: `this.avro.preserve_logical_types.or(false)`, Message: `"field avro.preserve_logical_types: not supported; Ferry writes Avro as JSON text (logical types as their numbers, decimals as bytes), as Redpanda Connect does with it off"`},
	{When: `this.avro.translate_kafka_connect_types.or(false)`, Message: `"field avro.translate_kafka_connect_types: not supported (it needs avro.preserve_logical_types, which Ferry does not do either)"`},
	{When: `this.avro.store_schema_metadata.or("") != ""`, Message: `"field avro.store_schema_metadata: not supported; Ferry does not convert Avro schemas to Benthos common schemas"`},
	{When: `!this.protobuf.serialize_to_json.or(true)`, Message: `"field protobuf.serialize_to_json: only true is supported; Ferry decodes Protobuf to JSON text"`},
	{When: `this.json.coerce_data.or(false)`, Message: `"field json.coerce_data: not supported; Ferry passes JSON Schema documents on as they are"`},
}}

func registryDecodeSpec() *service.ConfigSpec {
	spec := service.NewConfigSpec().
		Categories("Parsing", "Integration").
		Summary("Redpanda Connect's schema_registry_decode, run by Ferry's Confluent codecs: the same fields, defaults and output.").
		Description(`
Decodes each message from Confluent's wire format with the writer's schema from the registry, in the format the registry gives for it (Avro, Protobuf or JSON Schema), to the JSON Redpanda Connect writes: Avro in its JSON dialect (tagged unions, with logical types in the tags, unless ` + "`avro.raw_unions`" + `; bytes one character per byte), Protobuf as protojson. The schema ID is set as ` + "`schema_id`" + ` metadata. A message that does not decode keeps its bytes and is flagged with the error.

What Ferry adds: a schema named in a ` + "`__value_schema_id`" + ` metadata entry (a record header, as Confluent's newer serializers write) is read first, then the payload; schemas named by GUID are read; a schema that carries a rule set is refused (see ` + "`kafka_source`" + `'s ` + "`schema_registry.ignore_rules`" + `). docs/migrating-from-redpanda-connect.md lists the differences.`).
		Field(service.NewBoolField("avro_raw_json").
			Description("Deprecated: use `avro.raw_unions`.").
			Advanced().Default(false).Deprecated()).
		Field(service.NewObjectField("avro",
			service.NewBoolField("raw_unions").Description("Write Avro unions as their bare values instead of `{\"<type>\": value}`.").Optional(),
			service.NewBoolField("preserve_logical_types").Description("Not supported by Ferry: lint refuses `true`.").Default(false),
			service.NewBoolField("translate_kafka_connect_types").Description("Not supported by Ferry: lint refuses `true`.").Default(false),
			service.NewBloblangField("mapping").Description("A mapping applied to each Avro schema (references too) before it is used.").Optional().Advanced(),
			service.NewStringField("store_schema_metadata").Description("Not supported by Ferry: lint refuses a value.").Optional(),
		).Description("How Avro is decoded.")).
		Field(service.NewObjectField("protobuf",
			service.NewBoolField("use_proto_names").Description("Use the fields' .proto names instead of lowerCamelCase.").Default(false),
			service.NewBoolField("use_enum_numbers").Description("Write enum values as numbers.").Default(false),
			service.NewBoolField("emit_unpopulated").Description("Write unpopulated fields (not unset oneofs or extensions).").Default(false),
			service.NewBoolField("emit_default_values").Description("Write default-valued scalars, empty lists and maps.").Default(false),
			service.NewBoolField("serialize_to_json").Description("Only `true` is supported by Ferry.").Default(true),
		).Description("How Protobuf is decoded.")).
		Field(service.NewObjectField("json",
			service.NewBoolField("coerce_data").Description("Not supported by Ferry: lint refuses `true`.").Default(false),
		).Description("How JSON Schema documents are decoded.")).
		Field(service.NewDurationField("cache_duration").
			Description("Accepted: schemas are cached by ID, which never changes what it names; Ferry bounds the cache by count.").
			Default("10m")).
		Field(service.NewIntField("default_schema_id").
			Description("The schema ID a message with no Confluent header is decoded with, all of it the body. Not for Protobuf.").
			Optional())
	return registryFields(spec).LintRule(registryDecodeRules.Lint())
}

type registryDecoder struct {
	codec serde.Codec
	def   int
}

func newRegistryDecoder(conf *service.ParsedConfig, mgr *service.Resources) (service.Processor, error) {
	if err := registryDecodeRules.Check(conf); err != nil {
		return nil, err
	}
	reg, err := parseRegistry(conf, mgr)
	if err != nil {
		return nil, err
	}
	c := serde.Config{Type: "schema_registry", DecodeOnly: true, Registry: reg, JSON: serde.JSONOptions{Goavro: true}}
	raw, err := conf.FieldBool("avro_raw_json")
	if err != nil {
		return nil, err
	}
	if conf.Contains("avro", "raw_unions") {
		if raw, err = conf.FieldBool("avro", "raw_unions"); err != nil {
			return nil, err
		}
	}
	c.JSON.TaggedUnions = !raw
	if conf.Contains("avro", "mapping") {
		exec, err := conf.FieldBloblang("avro", "mapping")
		if err != nil {
			return nil, err
		}
		c.MapSchema = schemaMapper(exec)
	}
	for field, dst := range map[string]*bool{"use_proto_names": &c.JSON.ProtoNames, "use_enum_numbers": &c.JSON.EnumNumbers,
		"emit_unpopulated": &c.JSON.EmitUnpopulated, "emit_default_values": &c.JSON.EmitDefaultValues} {
		if *dst, err = conf.FieldBool("protobuf", field); err != nil {
			return nil, err
		}
	}
	if conf.Contains("default_schema_id") {
		if c.DefaultSchemaID, err = conf.FieldInt("default_schema_id"); err != nil {
			return nil, err
		}
	}
	codec, err := serde.New(c)
	if err != nil {
		return nil, err
	}
	return &registryDecoder{codec: codec, def: c.DefaultSchemaID}, nil
}

func (d *registryDecoder) Process(ctx context.Context, msg *service.Message) (service.MessageBatch, error) {
	raw, err := msg.AsBytes()
	if err != nil {
		return nil, err
	}
	hs := kafkameta.MetaHeaders{Message: msg}
	out, err := d.codec.Deserialize(ctx, serde.Target{Headers: hs}, raw)
	if err != nil {
		return nil, err
	}
	ref, _ := confluent.PeekSchemaOr(hs, false, raw, d.def)
	msg.SetBytes(out)
	if ref.GUID == "" {
		msg.MetaSetMut("schema_id", ref.ID)
	}
	return service.MessageBatch{msg}, nil
}

func (*registryDecoder) Close(context.Context) error { return nil }

func init() {
	if err := service.RegisterProcessor("schema_registry_decode", registryDecodeSpec(), newRegistryDecoder); err != nil {
		panic(err)
	}
}
