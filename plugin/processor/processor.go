// Package processor holds the serialize and deserialize processors: the
// serializer stanza as pipeline steps, so a config can encode or decode
// anywhere (before an output that is not Kafka, after an input that is).
// Importing the package registers both.
package processor

import (
	"context"
	"fmt"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/internal/serdefield"
	"github.com/ferry-connect/ferry/serde"
)

const (
	fieldTopic = "topic"
	fieldPart  = "part"
)

func spec(verb, summary, example string) *service.ConfigSpec {
	lint := serdefield.LintRule()
	if verb == "serialize" {
		lint = strings.Replace(lint, "].filter(", "  "+serdefield.EncoderLint("this")+",\n].filter(", 1)
	}
	return service.NewConfigSpec().
		Stable().
		Categories("Parsing").
		Summary(summary).
		Description(`
The processor takes the same serializer stanza as `+"`kafka_sink`"+`'s `+"`key_serializer`"+` and `+"`value_serializer`"+` and `+"`kafka_source`"+`'s deserializers, at its top level. `+"`topic`"+` and `+"`part`"+` matter to schema registry subjects (`+"`<topic>-value`"+`, `+"`<topic>-key`"+`).

A message that fails to `+verb+` keeps its content and is flagged with the error (standard Benthos error handling: route it with `+"`switch`"+` on `+"`errored()`"+`, drop it with `+"`reject_errored`"+`, or inspect `+"`error()`"+`); the other messages of the batch go on.`).
		Fields(serdefield.Fields("json")...).
		Fields(
			service.NewInterpolatedStringField(fieldTopic).
				Description("The topic the payload belongs to, for subject naming.").
				Default("${! @kafka_topic }"),
			service.NewStringEnumField(fieldPart, "value", "key").
				Description("Whether the payload is a record value or a record key, for subject naming.").
				Default("value"),
		).
		LintRule(lint).
		Example("Avro with a schema registry", summary, example)
}

func init() {
	service.MustRegisterBatchProcessor("serialize",
		spec("serialize", "Encodes each message (JSON for the schema codecs) with a serializer, for example into Confluent wire-format Avro.", `
pipeline:
  processors:
    - serialize:
        type: avro_confluent
        schema_file: ./schemas/order.avsc
        topic: orders
        schema_registry:
          url: [ http://localhost:8081 ]
`).Example("Plain Avro to a file", "Encode JSON to headerless Avro with a schema known to the reader.", `
pipeline:
  processors:
    - serialize:
        type: avro
        schema: '{"type":"record","name":"Point","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}'
`),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchProcessor, error) {
			return newProc(conf, mgr, true)
		})
	service.MustRegisterBatchProcessor("deserialize",
		spec("deserialize", "Decodes each message with a serializer, for example from Confluent wire-format Avro into JSON.", `
pipeline:
  processors:
    - deserialize:
        type: avro_confluent
        schema_registry:
          url: [ http://localhost:8081 ]
`).Example("Route what fails to decode", "Decode, and send messages that fail to a separate output.", `
pipeline:
  processors:
    - deserialize:
        type: json
output:
  switch:
    cases:
      - check: errored()
        output:
          file:
            path: ./undecodable.log
      - output:
          stdout: {}
`),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchProcessor, error) {
			return newProc(conf, mgr, false)
		})
}

type proc struct {
	codec  serde.Codec
	encode bool
	topic  *service.InterpolatedString
	key    bool
}

func newProc(conf *service.ParsedConfig, _ *service.Resources, encode bool) (*proc, error) {
	codec, err := serdefield.ParseAt(conf, !encode)
	if err != nil {
		return nil, err
	}
	topic, err := conf.FieldInterpolatedString(fieldTopic)
	if err != nil {
		return nil, err
	}
	part, err := conf.FieldString(fieldPart)
	if err != nil {
		return nil, err
	}
	return &proc{codec: codec, encode: encode, topic: topic, key: part == "key"}, nil
}

func (p *proc) ProcessBatch(ctx context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	for i, msg := range batch {
		topic, err := batch.TryInterpolatedString(i, p.topic)
		if err != nil {
			msg.SetError(fmt.Errorf("field %s: %w", fieldTopic, err))
			continue
		}
		raw, err := msg.AsBytes()
		if err != nil {
			msg.SetError(err)
			continue
		}
		t := serde.Target{Topic: topic, Key: p.key}
		var out []byte
		if p.encode {
			out, err = p.codec.Serialize(ctx, t, raw)
		} else {
			out, err = p.codec.Deserialize(ctx, t, raw)
		}
		if err != nil {
			verb := "deserialize"
			if p.encode {
				verb = "serialize"
			}
			msg.SetError(fmt.Errorf("%s: %w", verb, err))
			continue
		}
		msg.SetBytes(out)
	}
	return []service.MessageBatch{batch}, nil
}

func (*proc) Close(context.Context) error { return nil }
