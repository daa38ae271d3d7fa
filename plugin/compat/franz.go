package compat

import (
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/input"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/output"
)

// franzConn are kafka_franz's connection defaults.
var franzConn = kafkaconn.Defaults{ClientID: "redpanda-connect", MetadataMaxAge: "1m"}

// FranzInput is kafka_franz's input dialect: kafka_source's fields, with
// kafka_franz's defaults and its name for the lag refresh period.
var FranzInput = input.Dialect{
	Conn:           franzConn,
	SessionTimeout: "1m", RebalanceTimeout: "45s",
	LagRefreshField: "topic_lag_refresh_period", LagRefresh: "5s",
	Summary: "Redpanda Connect's kafka_franz input, run by Ferry's kafka_source: the same fields and defaults, with Ferry's delivery semantics.",
	Doc: `
A ` + "`kafka_franz`" + ` config runs here as written. What it runs is Ferry's ` + "`kafka_source`" + `: an offset is committed only once it and every earlier offset of its partition have been acknowledged, records that do not decode are flagged (or dead-lettered, see ` + "`on_deserialize_error`" + `), and the ` + "`kafka_source_*`" + ` metrics count every record. The fields Ferry adds (` + "`key_deserializer`" + `, ` + "`value_deserializer`" + `, ` + "`dlq`" + `, ` + "`group_protocol`" + ` and others) are there too. docs/migrating-from-redpanda-connect.md lists each difference.
`,
}

// FranzOutput is kafka_franz's output dialect: kafka_sink's fields, with
// kafka_franz's defaults and its deprecated rack_id, which never did
// anything for a producer (franz-go reads the rack only when consuming).
var FranzOutput = output.Dialect{
	Conn:        franzConn,
	MaxInFlight: 10, MaxMessageBytes: "1MiB",
	Summary: "Redpanda Connect's kafka_franz output, run by Ferry's kafka_sink: the same fields and defaults, with Ferry's per-record delivery.",
	Doc: `
A ` + "`kafka_franz`" + ` config runs here as written. What it runs is Ferry's ` + "`kafka_sink`" + `: every record of a batch gets its own outcome, only the records that failed go back to the pipeline (so ` + "`fallback`" + ` and ` + "`switch`" + ` see exactly them), and the ` + "`kafka_sink_*`" + ` metrics count every record. The fields Ferry adds (` + "`key_field`" + `, ` + "`value_serializer`" + `, ` + "`dlq`" + `, ` + "`transaction`" + ` and others) are there too. docs/migrating-from-redpanda-connect.md lists each difference.
`,
	Extra: []*service.ConfigField{
		service.NewStringField("rack_id").
			Description("Accepted for old configs: a producer has no use for a rack, and kafka_franz ignored it too.").
			Default("").
			Deprecated(),
	},
}

func init() {
	if err := service.RegisterBatchInput("kafka_franz", input.SpecWith(FranzInput), input.New); err != nil {
		panic(err)
	}
	if err := service.RegisterBatchOutput("kafka_franz", output.SpecWith(FranzOutput), output.New); err != nil {
		panic(err)
	}
}
