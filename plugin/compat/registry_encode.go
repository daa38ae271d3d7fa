package compat

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/interp"
	"github.com/ferry-connect/ferry/plugin/internal/kafkameta"
	"github.com/ferry-connect/ferry/serde"
)

// What Redpanda Connect's schema_registry_encode offers and Ferry does not
// do, and its own refusals, at lint.
var registryEncodeRules = confrules.Set{Rules: []confrules.Rule{
	{When: `this.schema_metadata.or("") != "" && this.format.or("") == ""`, Message: `"field format: required when schema_metadata is set"`},
	{When: `this.format.or("") != "" && this.schema_metadata.or("") == ""`, Message: `"field format: only used when schema_metadata is set"`},
	{When: `this.schema_metadata.or("") != "" && this.format.or("") == "avro" && this.avro.raw_json.or(null) == null`, Message: `"field avro.raw_json: must be set with schema_metadata and format avro (CDC inputs emit plain JSON: true is what they need)"`},
}}

func registryEncodeSpec() *service.ConfigSpec {
	spec := service.NewConfigSpec().
		Categories("Parsing", "Integration").
		Summary("Redpanda Connect's schema_registry_encode, run by Ferry's Confluent codecs: the same fields, defaults and bytes.").
		Description(`
Encodes each message in Confluent's wire format with the latest schema of its subject, in that schema's format (Avro, Protobuf or JSON Schema), looked for again every ` + "`refresh_period`" + `. Avro is read in Redpanda Connect's JSON dialect: unions bare or tagged, bytes as the string's own bytes. A Protobuf schema with several top-level messages takes each message as the first it parses as, the last that did first. A message that does not encode keeps its bytes and is flagged with the error. docs/migrating-from-redpanda-connect.md lists the differences.`).
		Field(service.NewInterpolatedStringField("subject").Description("The subject whose latest schema encodes the message.").
			Example("foo").Example(`${! meta("kafka_topic") }`)).
		Field(service.NewStringField("refresh_period").
			Description("How often a subject's latest schema is looked for again.").
			Default("10m").Example("60s").Example("1h")).
		Field(service.NewBoolField("avro_raw_json").
			Description("Deprecated: use `avro.raw_json`. Either way Avro unions are read bare or tagged.").
			Advanced().Default(false).Deprecated()).
		Field(service.NewStringField("schema_metadata").
			Description("A metadata key holding the message's schema as a Benthos common schema (CDC inputs set one): it is converted to `format`, registered under the subject, and the message encoded with it. Empty: the subject's latest schema encodes the message.").
			Default("")).
		Field(service.NewStringEnumField("format", "avro", "json_schema").
			Description("What `schema_metadata`'s schema is converted to. Required with it.").Optional()).
		Field(service.NewBoolField("normalize").
			Description("With `schema_metadata`: have the registry normalize the schema it registers.").Advanced().Default(true)).
		Field(service.NewObjectField("avro",
			service.NewBoolField("raw_json").Description("Accepted: unions are read bare or tagged either way, as in Redpanda Connect. Must be set with `schema_metadata` and `format: avro`.").Optional(),
			service.NewStringField("record_name").Description("With `schema_metadata`: the root record's name when the common schema has none; the subject, made a valid name, when empty.").Default("").Optional(),
			service.NewStringField("namespace").Description("With `schema_metadata`: the root record's namespace.").Default("").Optional(),
		).Description("Avro options."))
	return registryFields(spec).LintRule(registryEncodeRules.Lint())
}

// registryEncoder keeps a codec per subject (per subject and schema
// fingerprint with schema_metadata), built on first use.
type registryEncoder struct {
	subject interp.Field
	base    serde.Config
	meta    metaMode

	mu     sync.Mutex
	codecs map[string]serde.Codec
}

func newRegistryEncoder(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchProcessor, error) {
	if err := registryEncodeRules.Check(conf); err != nil {
		return nil, err
	}
	reg, err := parseRegistry(conf, mgr)
	if err != nil {
		return nil, err
	}
	subject, err := conf.FieldInterpolatedString("subject")
	if err != nil {
		return nil, err
	}
	p, err := conf.FieldString("refresh_period")
	if err != nil {
		return nil, err
	}
	refresh, err := time.ParseDuration(p)
	if err != nil {
		return nil, fmt.Errorf("field refresh_period: %w", err)
	}
	e := &registryEncoder{
		subject: interp.New(subject),
		base: serde.Config{Type: "schema_registry", UseLatest: true, LatestRefresh: refresh, AnyMessage: true,
			Registry: reg, JSON: serde.JSONOptions{Goavro: true}},
		codecs: map[string]serde.Codec{},
	}
	if e.meta, err = parseMetaMode(conf); err != nil {
		return nil, err
	}
	return e, nil
}

// codec is the encoder for subject.
func (e *registryEncoder) codec(subject string) (serde.Codec, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.codecs[subject]; ok {
		return c, nil
	}
	c := e.base
	c.Subject = subject
	codec, err := serde.New(c)
	if err != nil {
		return nil, err
	}
	e.codecs[subject] = codec
	return codec, nil
}

func (e *registryEncoder) ProcessBatch(ctx context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	subjects := e.subject.Over(batch)
	for i, msg := range batch {
		subject, err := subjects.String(i)
		if err != nil {
			msg.SetError(fmt.Errorf("field subject: %w", err))
			continue
		}
		var codec serde.Codec
		if e.meta.key != "" {
			codec, err = e.metaCodec(msg, subject)
		} else {
			codec, err = e.codec(subject)
		}
		if err != nil {
			msg.SetError(err)
			continue
		}
		raw, err := msg.AsBytes()
		if err != nil {
			msg.SetError(err)
			continue
		}
		out, err := codec.Serialize(ctx, serde.Target{Headers: kafkameta.MetaHeaders{Message: msg}}, raw)
		if err != nil {
			msg.SetError(fmt.Errorf("subject %q: %w", subject, err))
			continue
		}
		msg.SetBytes(out)
	}
	return []service.MessageBatch{batch}, nil
}

func (*registryEncoder) Close(context.Context) error { return nil }

func init() {
	if err := service.RegisterBatchProcessor("schema_registry_encode", registryEncodeSpec(), newRegistryEncoder); err != nil {
		panic(err)
	}
}
