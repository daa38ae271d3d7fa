package compat

import (
	"fmt"
	"math"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/input"
	"github.com/ferry-connect/ferry/plugin/internal/bytesize"
	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/output"
)

// Redpanda Connect's redpanda input fields that kafka_source spells
// otherwise.
const (
	fieldUnordered      = "unordered_processing"
	fieldPartitionBytes = "partition_buffer_bytes"
	fieldYieldBytes     = "max_yield_batch_bytes"
)

// redpandaInputRules refuse what Ferry cannot honour in a redpanda input.
var redpandaInputRules = confrules.Set{Rules: []confrules.Rule{
	{
		// Ferry bounds what a partition holds by records, not bytes.
		When:    `this.partition_buffer_bytes.or("1MB") != "1MB"`,
		Message: `"field partition_buffer_bytes: Ferry bounds what a partition holds by records, not bytes; drop the field (the default is accepted) and bound it with unordered_processing.checkpoint_limit, or with checkpoint_limit"`,
	},
	bytesize.Rule(fieldYieldBytes),
}}

// RedpandaInput is the redpanda input's dialect: kafka_franz's fields, with
// ordered processing by default (one batch of a partition in the pipeline
// at a time), batches cut at max_yield_batch_bytes, and the
// unordered_processing block for the rest.
var RedpandaInput = input.Dialect{
	Conn:           blockConn,
	SessionTimeout: "1m", RebalanceTimeout: "45s",
	LagRefreshField: "topic_lag_refresh_period", LagRefresh: "5s",
	Summary: "Redpanda Connect's redpanda input, run by Ferry's kafka_source: the same fields and defaults, with Ferry's delivery semantics.",
	Doc: `
A ` + "`redpanda`" + ` input config runs here as written. By default a partition is processed in order: one batch of it is in the pipeline at a time (cut at ` + "`max_yield_batch_bytes`" + `), and the next is handed over once the last is acknowledged. With ` + "`unordered_processing.enabled`" + `, up to ` + "`unordered_processing.checkpoint_limit`" + ` records of a partition are in flight, batched by ` + "`unordered_processing.batching`" + `. What runs is Ferry's ` + "`kafka_source`" + `, and its fields are there too. Without ` + "`seed_brokers`" + `, the connection comes from the top-level ` + "`redpanda`" + ` block. docs/migrating-from-redpanda-connect.md lists each difference.
`,
	Extra: []*service.ConfigField{
		service.NewStringField(fieldPartitionBytes).
			Description("Accepted at its default only: Ferry bounds what a partition holds by records (`checkpoint_limit`), not bytes.").
			Default("1MB").
			Advanced(),
		service.NewStringField(fieldYieldBytes).
			Description("With ordered processing, a batch is cut once its messages hold this many bytes (a larger message goes alone).").
			Default("32KB").
			Advanced(),
		service.NewObjectField(fieldUnordered,
			service.NewBoolField("enabled").
				Description("Process a partition's batches in parallel, up to `checkpoint_limit` records in flight, instead of one batch at a time.").
				Default(false),
			service.NewIntField("checkpoint_limit").
				Description("With `enabled`, the most records of a partition in flight at once.").
				Default(1024),
			service.NewBatchPolicyField("batching").
				Description("With `enabled`, how a partition's records are batched."),
		).
			Description("Lets a partition's records be processed out of order, for throughput.").
			Advanced(),
	},
	Rules: redpandaInputRules,
}

// RedpandaOutput is the redpanda output's dialect: kafka_franz's, with 256
// batches in flight.
var RedpandaOutput = output.Dialect{
	Conn:        blockConn,
	MaxInFlight: 256, MaxMessageBytes: "1MiB",
	Summary: "Redpanda Connect's redpanda output, run by Ferry's kafka_sink: the same fields and defaults, with Ferry's per-record delivery.",
	Doc: `
A ` + "`redpanda`" + ` output config runs here as written. What runs is Ferry's ` + "`kafka_sink`" + `: every record gets its own outcome and only the failed ones go back to the pipeline. Without ` + "`seed_brokers`" + `, the connection comes from the top-level ` + "`redpanda`" + ` block. docs/migrating-from-redpanda-connect.md lists each difference.
`,
}

// blockConn are the redpanda components' connection defaults: kafka_franz's,
// with seed_brokers optional (the top-level block gives them).
var blockConn = kafkaconn.Defaults{ClientID: franzConn.ClientID, MetadataMaxAge: franzConn.MetadataMaxAge, BrokersElsewhere: true}

// newRedpandaInput reads the redpanda input's own fields and builds a
// kafka_source with them, its connection from the top-level block when it
// names no seed_brokers.
func newRedpandaInput(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
	return redpandaInputFrom(conf, mgr, false)
}

// newRedpandaCommonInput is redpanda_common: always the block's connection.
func newRedpandaCommonInput(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
	return redpandaInputFrom(conf, mgr, true)
}

func redpandaInputFrom(conf *service.ParsedConfig, mgr *service.Resources, common bool) (service.BatchInput, error) {
	if common || !namesBrokers(conf) {
		var err error
		if conf, err = reparsed(input.SpecWith(RedpandaInput), conf, common); err != nil {
			return nil, err
		}
	}
	if err := redpandaInputRules.Check(conf); err != nil {
		return nil, err
	}
	up := conf.Namespace(fieldUnordered)
	unordered, err := up.FieldBool("enabled")
	if err != nil {
		return nil, err
	}
	if unordered {
		limit, err := up.FieldInt("checkpoint_limit")
		if err != nil {
			return nil, err
		}
		if limit < 1 {
			return nil, fmt.Errorf("field %s.checkpoint_limit: must be at least 1", fieldUnordered)
		}
		pol, err := up.FieldBatchPolicy("batching")
		if err != nil {
			return nil, err
		}
		return input.NewWith(conf, mgr, input.Options{CheckpointLimit: limit, Batching: &pol})
	}
	yield, err := bytesize.Field(conf, fieldYieldBytes, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	return input.NewWith(conf, mgr, input.Options{Ordered: true, MaxBatchBytes: int(yield)})
}

// newRedpandaOutput builds a kafka_sink, its connection from the top-level
// block when it names no seed_brokers.
func newRedpandaOutput(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
	if !namesBrokers(conf) {
		var err error
		if conf, err = reparsed(output.SpecWith(RedpandaOutput), conf, false); err != nil {
			return nil, service.BatchPolicy{}, 0, err
		}
	}
	return output.New(conf, mgr)
}

// redpandaCommonOutputSpec is redpanda_common's: what record each message
// becomes, how many writes are in flight and the batching; the connection
// and producer settings are the top-level block's.
func redpandaCommonOutputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Categories("Services").
		Summary("Redpanda Connect's redpanda_common output, run by Ferry's kafka_sink: records written with the connection and producer settings of the top-level redpanda block.").
		Fields(output.RecordFields()...).
		Fields(
			service.NewOutputMaxInFlightField().Default(10),
			service.NewBatchPolicyField("batching"),
		)
}

func newRedpandaCommonOutput(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
	full, err := reparsed(output.SpecWith(RedpandaOutput), conf, true)
	if err != nil {
		return nil, service.BatchPolicy{}, 0, err
	}
	return output.New(full, mgr)
}

func init() {
	for name, ctor := range map[string]service.BatchInputConstructor{"redpanda": newRedpandaInput, "redpanda_common": newRedpandaCommonInput} {
		if err := service.RegisterBatchInput(name, input.SpecWith(RedpandaInput), ctor); err != nil {
			panic(err)
		}
	}
	if err := service.RegisterBatchOutput("redpanda", output.SpecWith(RedpandaOutput), newRedpandaOutput); err != nil {
		panic(err)
	}
	if err := service.RegisterBatchOutput("redpanda_common", redpandaCommonOutputSpec(), newRedpandaCommonOutput); err != nil {
		panic(err)
	}
}
