// Package serdefield is the Benthos side of the serializer stanza: the one
// set of field specs that kafka_sink, kafka_source and the
// serialize/deserialize processors embed, and its conversion into a
// serde.Config. Keeping it in one place means every component documents
// and validates the stanza the same way, and serde itself stays free of
// Benthos.
package serdefield

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/internal/confrules"
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
		},
		Rules: []confrules.Rule{
			{When: `this.schema.or("") != "" && this.schema_file.or("") != ""`, Message: msg("fields schema and schema_file are mutually exclusive")},
			{When: `$t == "avro" && !$has_schema`, Message: msg("type avro needs schema or schema_file")},
			{When: `$t == "avro_confluent" && this.schema_registry.url.or([]).length() == 0`, Message: msg("type avro_confluent needs schema_registry.url")},
			{When: `$t != "avro" && this.reader_schema.or("") != ""`, Message: msg("reader_schema applies to type avro only (avro_confluent reads with schema)")},
		},
	}
	if mode == Encode {
		set.Rules = append(set.Rules, confrules.Rule{
			When:    `$t == "avro_confluent" && !$has_schema && !this.use_latest.or(false)`,
			Message: msg("type avro_confluent needs schema or schema_file to serialize, or use_latest: true"),
		})
	}
	return set
}

// Fields returns the stanza's fields, for components that take the stanza
// at their top level (the serialize and deserialize processors).
func Fields(defType string) []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringField(FieldType).
			Description("The codec: `bytes` (as is), `string` (UTF-8 text), `json` (one JSON document, checked), `avro` (binary Avro with a known schema, no header), `avro_confluent` (Confluent wire format: a zero byte, the 4-byte schema ID, then binary Avro), or a type registered from Go with `serde.Register`.").
			Default(defType).
			Examples("json", "avro_confluent"),
		service.NewStringField(FieldSchema).
			Description("An Avro schema, as JSON. For `avro` it is the schema the data is written with. For `avro_confluent` it is registered (or looked up) under the subject for encoding, and decoded records are resolved to it (schema evolution).").
			Default("").
			Example(`{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`),
		service.NewStringField(FieldSchemaFile).
			Description("A file holding the Avro schema, instead of `schema`.").
			Default("").
			Example("./schemas/order.avsc"),
		service.NewStringField(FieldReaderSchema).
			Description("For `avro` only: the schema decoded records are resolved to, when data was written with an older or newer `schema`.").
			Default("").
			Advanced(),
		service.NewStringField(FieldSubject).
			Description("For `avro_confluent`: the registry subject, overriding `subject_strategy`.").
			Default(""),
		service.NewStringAnnotatedEnumField(FieldSubjectStrategy, map[string]string{
			serde.StrategyTopicName:       "`<topic>-key` or `<topic>-value` (Confluent's default).",
			serde.StrategyRecordName:      "The full name of the record schema, whatever the topic.",
			serde.StrategyTopicRecordName: "`<topic>-<record full name>`.",
		}).
			Description("For `avro_confluent`: how the subject is named when `subject` is empty.").
			Default(serde.StrategyTopicName),
		service.NewBoolField(FieldAutoRegister).
			Description("For `avro_confluent`: register the schema under the subject if it is not there. When off, the schema must already be registered.").
			Default(true),
		service.NewBoolField(FieldUseLatest).
			Description("For `avro_confluent`: encode with the subject's latest registered schema instead of `schema`.").
			Default(false),
		service.NewDurationField(FieldLatestRefresh).
			Description("With `use_latest`, how often to look for a newer latest version.").
			Default("5m").
			Advanced(),
		service.NewBoolField(FieldTaggedUnions).
			Description("Read and write Avro unions in JSON as `{\"<type>\": value}` (Avro's JSON encoding) rather than as the bare value.").
			Default(false).
			Advanced(),
		service.NewBoolField(FieldIgnoreExtraFields).
			Description("Drop JSON fields that the Avro record does not have, instead of failing the record.").
			Default(false).
			Advanced(),
		RegistryField(),
		service.NewAnyMapField(FieldOptions).
			Description("Settings for a codec registered from Go; the built-in codecs take none.").
			Optional().
			Advanced(),
	}
}

// Spec returns the stanza as the object field `name`, defaulting to the
// codec defType, with its rules for mode.
func Spec(name, defType, description string, mode Mode) *service.ConfigField {
	return service.NewObjectField(name, Fields(defType)...).
		Description(description).
		LintRule(Rules(name, mode).Lint())
}

// RegistryField is the shared `schema_registry` block.
func RegistryField() *service.ConfigField {
	return service.NewObjectField(FieldRegistry,
		service.NewStringListField("url").
			Description("Schema registry URLs; an item may hold several, comma-separated.").
			Default([]any{}).
			Example([]string{"http://localhost:8081"}),
		service.NewObjectField("basic_auth",
			service.NewStringField("username").Default(""),
			service.NewStringField("password").Default("").Secret(),
		).Description("HTTP basic authentication.").Advanced(),
		service.NewStringField("token").
			Description("A bearer token sent with every request.").
			Default("").
			Secret().
			Advanced(),
		service.NewTLSToggledField("tls"),
		service.NewDurationField("timeout").
			Description("How long one registry request may take.").
			Default("10s").
			Advanced(),
	).Description("The Confluent-compatible schema registry, for `avro_confluent`.")
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
	c, err := config(conf)
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

func config(conf *service.ParsedConfig) (serde.Config, error) {
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
	str(FieldSubject, &c.Subject)
	str(FieldSubjectStrategy, &c.SubjectStrategy)
	boolean(FieldAutoRegister, &c.AutoRegister)
	boolean(FieldUseLatest, &c.UseLatest)
	boolean(FieldTaggedUnions, &c.JSON.TaggedUnions)
	boolean(FieldIgnoreExtraFields, &c.JSON.IgnoreExtraFields)
	if err != nil {
		return c, err
	}
	if c.LatestRefresh, err = conf.FieldDuration(FieldLatestRefresh); err != nil {
		return c, fmt.Errorf("%s: %w", FieldLatestRefresh, err)
	}
	if c.Registry, err = parseRegistry(conf.Namespace(FieldRegistry)); err != nil {
		return c, fmt.Errorf("%s.%w", FieldRegistry, err)
	}
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

func parseRegistry(conf *service.ParsedConfig) (serde.RegistryConfig, error) {
	var r serde.RegistryConfig
	urls, err := conf.FieldStringList("url")
	if err != nil {
		return r, fmt.Errorf("url: %w", err)
	}
	for _, u := range urls {
		for _, part := range strings.Split(u, ",") {
			if part = strings.TrimSpace(part); part != "" {
				r.URLs = append(r.URLs, part)
			}
		}
	}
	if r.Username, err = conf.FieldString("basic_auth", "username"); err != nil {
		return r, fmt.Errorf("basic_auth.username: %w", err)
	}
	if r.Password, err = conf.FieldString("basic_auth", "password"); err != nil {
		return r, fmt.Errorf("basic_auth.password: %w", err)
	}
	if r.Token, err = conf.FieldString("token"); err != nil {
		return r, fmt.Errorf("token: %w", err)
	}
	tlsConf, on, err := conf.FieldTLSToggled("tls")
	if err != nil {
		return r, fmt.Errorf("tls: %w", err)
	}
	if on {
		r.TLS = tlsConf
	}
	if r.Timeout, err = conf.FieldDuration("timeout"); err != nil {
		return r, fmt.Errorf("timeout: %w", err)
	}
	return r, nil
}
