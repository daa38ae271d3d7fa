// Package processor holds the serialize and deserialize processors: the
// serializer stanza as pipeline steps, so a config can encode or decode
// anywhere (before an output that is not Kafka, after an input that is).
// Importing the package registers both.
package processor

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/interp"
	"github.com/ferry-connect/ferry/plugin/internal/kafkameta"
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
	"github.com/ferry-connect/ferry/serde"
)

const (
	fieldTopic = "topic"
	fieldPart  = "part"
)

// modes says what each processor does with its stanza.
var modes = map[string]serdefield.Mode{"serialize": serdefield.Encode, "deserialize": serdefield.Decode}

func spec(verb, summary, example string) *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Categories("Parsing").
		Summary(summary).
		Description(`
The processor takes the same serializer stanza as `+"`kafka_sink`"+`'s `+"`key_serializer`"+` and `+"`value_serializer`"+` and `+"`kafka_source`"+`'s deserializers, at its top level. `+"`topic`"+` and `+"`part`"+` matter to schema registry subjects (`+"`<topic>-value`"+`, `+"`<topic>-key`"+`).

A message that fails to `+verb+` keeps its content and is flagged with the error (standard Benthos error handling: route it with `+"`switch`"+` on `+"`errored()`"+`, drop it with `+"`reject_errored`"+`, or inspect `+"`error()`"+`); the other messages of the batch go on.`).
		Fields(serdefield.Fields("json", modes[verb])...).
		Fields(
			service.NewInterpolatedStringField(fieldTopic).
				Description("The topic the payload belongs to, for subject naming.").
				Default("${! @kafka_topic }"),
			service.NewStringEnumField(fieldPart, "value", "key").
				Description("Whether the payload is a record value or a record key, for subject naming.").
				Default("value"),
		).
		LintRule(serdefield.Rules("", modes[verb]).Lint()).
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
			return newProc(conf, "serialize")
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
			return newProc(conf, "deserialize")
		})
}

// proc is either processor: it applies its codec to every message of a
// batch, flagging the messages that fail.
type proc struct {
	verb  string // serialize or deserialize, for errors
	codec serdefield.Named
	topic interp.Field
	key   bool
}

func newProc(conf *service.ParsedConfig, verb string) (*proc, error) {
	codec, err := serdefield.ParseAt(conf, modes[verb])
	if err != nil {
		return nil, err
	}
	topic, err := conf.FieldInterpolatedString(fieldTopic)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldTopic, err)
	}
	part, err := conf.FieldString(fieldPart)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldPart, err)
	}
	return &proc{verb: verb, codec: codec, topic: interp.New(topic), key: part == "key"}, nil
}

func (p *proc) ProcessBatch(ctx context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	topics := p.topic.Over(batch)
	for i, msg := range batch {
		if kafkameta.IsTombstone(msg) {
			continue // a null value stays null, both ways
		}
		topic, err := topics.String(i)
		if err != nil {
			msg.SetError(fmt.Errorf("field %s: %w", fieldTopic, err))
			continue
		}
		raw, err := msg.AsBytes()
		if err != nil {
			msg.SetError(err)
			continue
		}
		t := serde.Target{Topic: topic, Key: p.key, Headers: kafkameta.MetaHeaders{Message: msg}}
		var out []byte
		if modes[p.verb] == serdefield.Encode {
			out, err = p.codec.Serialize(ctx, t, raw)
		} else {
			out, err = p.codec.Deserialize(ctx, t, raw)
		}
		if err != nil {
			msg.SetError(fmt.Errorf("%s: %w", p.verb, err))
			continue
		}
		msg.SetBytes(out)
	}
	return []service.MessageBatch{batch}, nil
}

func (*proc) Close(context.Context) error { return nil }
