package compat

import (
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/output"
)

// saramaOutputRules refuse what Ferry's kafka_sink cannot do the way
// Sarama's kafka output did.
var saramaOutputRules = confrules.Set{Rules: []confrules.Rule{
	saramaSASLRule,
	{When: `this.custom_topic_creation.enabled.or(false)`, Message: `"field custom_topic_creation: Ferry does not create topics with a partition count; create the topic first (allow_auto_topic_creation uses the broker's defaults)"`},
	{When: `this.retry_as_batch.or(false)`, Message: `"field retry_as_batch: Ferry sends again only the records that failed, never a delivered one; for strict order keep max_in_flight: 1 and idempotent_write: true"`},
	{When: `this.metadata.exclude_prefixes.or([]).length() > 0`, Message: `"field metadata.exclude_prefixes: not supported; every metadata value becomes a header, as with no exclusions"`},
	{When: `this.backoff.initial_interval.or("3s") != "3s" || this.backoff.max_interval.or("10s") != "10s" || this.backoff.max_elapsed_time.or("30s") != "30s"`, Message: `"field backoff: Ferry's client retries a record within timeout, and the pipeline retries what is returned; only the defaults are accepted"`},
	{When: `this.idempotent_write.or(false) && !this.ack_replicas.or(false)`, Message: `"field idempotent_write requires ack_replicas: true"`},
	{When: `this.static_headers.or({}).values().any(v -> v.contains("${!"))`, Message: `"field static_headers: a value holding ${! is not supported (kafka_sink's headers would interpolate it)"`},
	{When: `this.timestamp.or("") != "" && this.timestamp_ms.or("") != ""`, Message: `"fields timestamp and timestamp_ms are mutually exclusive: set one of them"`},
}}

// saramaOutputSpec is Redpanda Connect's kafka output: Sarama's fields and
// defaults.
func saramaOutputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Categories("Services").
		Summary("Redpanda Connect's kafka output (Sarama's fields), run by Ferry's kafka_sink with per-record delivery.").
		Description(`
A `+"`kafka`"+` output config runs here as written, keys on the partitions Sarama chose (`+"`fnv1a_hash`"+` by default) and every metadata value as a header, as before. What runs is Ferry's `+"`kafka_sink`"+`: every record gets its own outcome and only the failed ones go back to the pipeline. docs/migrating-from-redpanda-connect.md lists each difference.
`).
		Fields(
			service.NewStringListField("addresses").Description("Broker addresses; an item may hold several, comma-separated."),
			service.NewTLSToggledField("tls"),
			saramaSASLField(),
			service.NewInterpolatedStringField("topic").Description("The topic, evaluated per message."),
			service.NewStringField("client_id").Description("The client ID.").Default("benthos").Advanced(),
			service.NewStringField("target_version").Description("Caps every request at this Kafka release's versions; empty negotiates with the broker.").Optional(),
			service.NewStringField("rack_id").Description("Accepted for old configs: a producer has no use for a rack.").Default("").Advanced(),
			service.NewInterpolatedStringField("key").Description("The key, evaluated per message; empty is a null key.").Default(""),
			service.NewStringEnumField("partitioner", "fnv1a_hash", "murmur2_hash", "random", "round_robin", "manual").
				Description("How records are assigned to partitions: Sarama's `fnv1a_hash` by default, `murmur2_hash` as the Java client does.").
				Default("fnv1a_hash"),
			service.NewInterpolatedStringField("partition").Description("The partition, with `partitioner: manual`.").Default("").Advanced(),
			service.NewObjectField("custom_topic_creation",
				service.NewBoolField("enabled").Description("Not supported: create topics with a partition count.").Default(false),
				service.NewIntField("partitions").Default(-1),
				service.NewIntField("replication_factor").Default(-1),
			).Description("Not supported when enabled.").Advanced().Optional(),
			service.NewStringEnumField("compression", "none", "snappy", "lz4", "gzip", "zstd").Description("The compression codec.").Default("none"),
			service.NewStringMapField("static_headers").Description("Headers added to every record.").Optional(),
			service.NewMetadataExcludeFilterField("metadata").Description("Every metadata value becomes a header; exclusions are not supported."),
			service.NewInjectTracingSpanMappingField(),
			service.NewOutputMaxInFlightField(),
			service.NewBoolField("idempotent_write").Description("Write with an idempotent producer; needs `ack_replicas: true`.").Default(false).Advanced(),
			service.NewBoolField("ack_replicas").Description("Wait for every in-sync replica (`acks=all`); otherwise the leader's acknowledgement is enough.").Default(false).Advanced(),
			service.NewIntField("max_msg_bytes").Description("The largest record batch, in bytes.").Default(1000000).Advanced(),
			service.NewDurationField("timeout").Description("How long a batch's records may take to be delivered, retries included.").Default("5s").Advanced(),
			service.NewBoolField("retry_as_batch").Description("Not supported: Ferry sends again only the records that failed.").Default(false).Advanced(),
			service.NewBatchPolicyField("batching"),
			service.NewIntField("max_retries").Description("How many times the client retries a record before it goes back to the pipeline; 0 retries until `timeout`.").Default(0).Advanced(),
			service.NewBackOffField("backoff", true, &backoff.ExponentialBackOff{InitialInterval: 3 * time.Second, MaxInterval: 10 * time.Second, MaxElapsedTime: 30 * time.Second}).Description("Accepted at its defaults only: Ferry's client retries within `timeout`.").Advanced(),
			service.NewInterpolatedStringField("timestamp").Description("The record timestamp in seconds.").Optional().Advanced().Deprecated(),
			service.NewInterpolatedStringField("timestamp_ms").Description("The record timestamp in milliseconds.").Optional().Advanced(),
		).
		LintRule(saramaOutputRules.Lint())
}

// saramaToSink translates a kafka output config into kafka_sink's.
func saramaToSink(c map[string]any) map[string]any {
	s := map[string]any{
		"seed_brokers":              c["addresses"],
		"tls":                       c["tls"],
		"topic":                     c["topic"],
		"client_id":                 c["client_id"],
		"key":                       c["key"],
		"partitioner":               c["partitioner"],
		"compression":               c["compression"],
		"max_in_flight":             c["max_in_flight"],
		"idempotent_write":          c["idempotent_write"],
		"max_message_bytes":         c["max_msg_bytes"],
		"timeout":                   c["timeout"],
		"record_retries":            c["max_retries"],
		"metadata":                  map[string]any{"include_patterns": []any{".*"}},
		"acks":                      "leader",
		"allow_auto_topic_creation": true,
	}
	if ack, _ := c["ack_replicas"].(bool); ack {
		s["acks"] = "all"
	}
	for _, k := range []string{"target_version", "timestamp", "timestamp_ms", "batching", "inject_tracing_map", "partition"} {
		if v, ok := c[k]; ok && v != "" {
			s[k] = v
		}
	}
	if sasl := saramaSASL(c); sasl != nil {
		s["sasl"] = sasl
	}
	if h, ok := c["static_headers"].(map[string]any); ok && len(h) > 0 {
		s["headers"] = h // no "${!" in them: the lint rule refuses it
	}
	return s
}

func newSaramaOutput(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
	if err := saramaOutputRules.Check(conf); err != nil {
		return nil, service.BatchPolicy{}, 0, err
	}
	raw, err := conf.FieldAny()
	if err != nil {
		return nil, service.BatchPolicy{}, 0, err
	}
	c, _ := raw.(map[string]any)
	sink, err := reparse(output.Spec(), saramaToSink(c))
	if err != nil {
		return nil, service.BatchPolicy{}, 0, err
	}
	return output.New(sink, mgr)
}

func init() {
	if err := service.RegisterBatchOutput("kafka", saramaOutputSpec(), newSaramaOutput); err != nil {
		panic(err)
	}
}
