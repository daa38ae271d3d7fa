// Package input is the kafka_source input: franz-go's consumer with
// ack-driven, per-partition checkpointing, Ferry's deserializers, and a
// choice of what to do with records that do not decode. Importing the
// package registers the input.
package input

import (
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
)

// Name is the component name used in configs.
const Name = "kafka_source"

const (
	fieldTopics            = "topics"
	fieldRegexpInclude     = "regexp_topics_include"
	fieldRegexpExclude     = "regexp_topics_exclude"
	fieldGroup             = "consumer_group"
	fieldStartOffset       = "start_offset"
	fieldCheckpointLimit   = "checkpoint_limit"
	fieldCommitPeriod      = "commit_period"
	fieldBatching          = "batching"
	fieldFetchMaxBytes     = "fetch_max_bytes"
	fieldFetchPartBytes    = "fetch_max_partition_bytes"
	fieldFetchMaxWait      = "fetch_max_wait"
	fieldRackID            = "rack_id"
	fieldInstanceID        = "instance_id"
	fieldSessionTimeout    = "session_timeout"
	fieldRebalanceTimeout  = "rebalance_timeout"
	fieldHeartbeatInterval = "heartbeat_interval"
	fieldIsolation         = "transaction_isolation_level"
	fieldGroupProtocol     = "group_protocol"
	fieldKeyDeserializer   = "key_deserializer"
	fieldValueDeserializer = "value_deserializer"
	fieldOnError           = "on_deserialize_error"
	fieldDLQ               = "dlq"
	fieldLagRefresh        = "lag_refresh_period"
)

// Group protocols.
const (
	protocolClassic  = "classic"
	protocolConsumer = "consumer"
)

const (
	onErrorFlag = "flag"
	onErrorDLQ  = "dlq"
	onErrorFail = "fail"
)

// rules are kafka_source's cross-field rules, refused at `connect lint`
// and by the constructor alike.
var rules = confrules.Set{
	Lets: []string{
		// topics items may hold several, comma-separated, as the
		// parser reads them.
		`let topics = this.topics.or([]).map_each(t -> t.split(",")).flatten().map_each(t -> t.trim()).filter(t -> t != "")`,
		`let explicit = $topics.any(t -> t.contains(":"))`,
		`let has_group = this.consumer_group.or("") != ""`,
		`let has_regex = this.regexp_topics_include.or([]).length() > 0`,
	},
	Rules: []confrules.Rule{
		{When: `$explicit && $has_group`, Message: `"explicit partitions (topic:partition) cannot be used with consumer_group: the group assigns partitions"`},
		{When: `$explicit && $has_regex`, Message: `"explicit partitions (topic:partition) cannot be used with regexp_topics_include"`},
		{When: `$explicit && $topics.any(t -> !t.contains(":"))`, Message: `"field topics: mix of whole topics and explicit partitions; list partitions for every topic or none"`},
		{When: `$topics.length() == 0 && !$has_regex`, Message: `"set topics or regexp_topics_include"`},
		{When: `this.on_deserialize_error.or("flag") == "dlq" && this.dlq.topic.or("") == ""`, Message: `"on_deserialize_error: dlq needs dlq.topic"`},
	},
}

// Spec is the kafka_source configuration spec.
func Spec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Categories("Services").
		Summary("Reads records from Kafka topics, committing an offset only once it and every offset before it on its partition have been acknowledged downstream.").
		Description(`
Each partition is read in order, and a batch never mixes partitions. An offset is committed (every `+"`commit_period`"+`, before a partition is given up in a rebalance, and on close) only when that record and every earlier record of its partition have been acknowledged by the output, so a crash or a rebalance loses nothing: records after the last commit are read again (at-least-once). Partitions that are lost (the member was expelled from the group) commit nothing.

### Scaling out

With `+"`consumer_group`"+`, partitions are balanced across every `+"`kafka_source`"+` in the group, on any number of machines: run more copies of the pipeline to read faster, up to one per partition. Without a group, the listed topics (or the listed partitions, `+"`topic:partition`"+`, `+"`topic:from-to`"+` or `+"`topic:partition:offset`"+`) are read in full by this one input and nothing is committed.

### Records that do not decode

`+"`on_deserialize_error`"+` decides: `+"`flag`"+` (the default) passes the raw bytes on, flagged with the error, so `+"`switch`"+` with `+"`errored()`"+` or `+"`reject_errored`"+` can route them; `+"`dlq`"+` writes the raw record to `+"`dlq.topic`"+` with Kafka Connect's `+"`__connect.errors.*`"+` headers and moves on (through the same dead-letter path as `+"`kafka_sink`"+`'s `+"`dlq`"+`: a dead letter too large for the DLQ topic is written without its value; a DLQ that is out of reach or unauthorized is retried while the record waits uncommitted; a record the DLQ refuses for good stops its partition, as with `+"`fail`"+`); `+"`fail`"+` stops the partition at that record (nothing after it on that partition is read or committed) until the record is fixed or skipped by hand.

### Metadata

`+"`kafka_key`, `kafka_topic`, `kafka_partition`, `kafka_offset`, `kafka_timestamp_ms`, `kafka_timestamp_unix`, `kafka_tombstone_message`, `kafka_lag`"+` (records after this one in the partition when it was fetched), and one entry per record header.

### Metrics

- `+"`kafka_source_records{outcome}`"+`: `+"`received`, `delivered` (acknowledged downstream), `dead_lettered`, `nacked`"+`.
- `+"`kafka_source_errors{stage,reason}`"+`: records that failed to decode (stage `+"`DESERIALIZE`"+`, reason the codec, e.g. `+"`serde.json`"+`), and failed DLQ writes (stage `+"`DLQ`"+`, reason the Kafka error).
- `+"`kafka_source_lag{topic,partition}`"+`: with a group, the records not yet committed, refreshed every `+"`lag_refresh_period`"+`.
- `+"`kafka_source_commits{outcome}`"+`: offset commits, `+"`ok` or `failed`"+`.
- `+"`kafka_source_partitions`"+`: with a group, how many partitions this member is assigned.
- `+"`kafka_source_rebalances{event}`"+`: with a group, how many times partitions were `+"`assigned`"+` to this member, `+"`revoked`"+` from it, or `+"`lost`"+` by it (expelled from the group).

On close the input logs one summary line: `+"`kafka_source summary: received=… delivered=… dead_lettered=… nacked=…`"+`.
`).
		Fields(kafkaconn.Fields()...).
		Fields(
			service.NewStringListField(fieldTopics).
				Description("Topics to read. Without a consumer group an item may name partitions: `topic:0`, `topic:0-3`, or `topic:2:1500` to start partition 2 at offset 1500. Items may hold several, comma-separated.").
				Default([]any{}).
				Example([]string{"orders"}).
				Example([]string{"orders:0-5", "payments:2:1500"}),
			service.NewStringListField(fieldRegexpInclude).
				Description("Read every topic matching one of these regular expressions (Go RE2 syntax); new matching topics are picked up as metadata refreshes.").
				Default([]any{}).
				Advanced(),
			service.NewStringListField(fieldRegexpExclude).
				Description("Skip topics matching one of these regular expressions, with `regexp_topics_include`.").
				Default([]any{}).
				Advanced(),
			service.NewStringField(fieldGroup).
				Description("The consumer group. With it, partitions are balanced across every member and offsets are committed; without it, the topics are read in full and nothing is committed.").
				Default("").
				Example("orders-enricher"),
			service.NewStringField(fieldStartOffset).
				Description("Where to start a partition that has no committed offset (or every partition, without a group): `earliest`, `latest`, `committed` (only partitions with a committed offset are read), or an RFC 3339 timestamp (the first record at or after it).").
				Default("earliest").
				Examples("earliest", "latest", "2026-01-02T00:00:00Z"),
			service.NewIntField(fieldCheckpointLimit).
				Description("The most records of one partition that may be in the pipeline unacknowledged. Records past the limit are decoded and held back, and handed over as acknowledgements come in; batches without a batching policy are cut at the limit. The input fetches no more while about two limits per assigned partition are held, which bounds memory.").
				Default(1024).
				Advanced(),
			service.NewDurationField(fieldCommitPeriod).
				Description("How often acknowledged offsets are committed (at least 100ms).").
				Default("5s").
				Advanced(),
			service.NewIntField(fieldFetchMaxBytes).
				Description("The most bytes one fetch request returns.").
				Default(50<<20).
				Advanced(),
			service.NewIntField(fieldFetchPartBytes).
				Description("The most bytes one fetch returns for one partition.").
				Default(1<<20).
				Advanced(),
			service.NewDurationField(fieldFetchMaxWait).
				Description("How long a broker may wait for data before answering a fetch.").
				Default("5s").
				Advanced(),
			service.NewStringField(fieldRackID).
				Description("The rack of this consumer, to read from a replica in the same rack (KIP-392) when the cluster allows it.").
				Default("").
				Advanced(),
			service.NewStringField(fieldInstanceID).
				Description("A static group member ID (KIP-345): a restarted member with the same ID takes its partitions back without a rebalance, if it returns within `session_timeout`.").
				Default("").
				Advanced(),
			service.NewDurationField(fieldSessionTimeout).
				Description("How long the group waits for a silent member before rebalancing its partitions.").
				Default("45s").
				Advanced(),
			service.NewDurationField(fieldRebalanceTimeout).
				Description("How long members have to finish a rebalance.").
				Default("60s").
				Advanced(),
			service.NewDurationField(fieldHeartbeatInterval).
				Description("How often the member tells the group it is alive.").
				Default("3s").
				Advanced(),
			service.NewStringAnnotatedEnumField(fieldGroupProtocol, map[string]string{
				protocolClassic:  "The classic protocol: members join and sync, and the group leader assigns partitions with the cooperative-sticky balancer (KIP-429), so a rebalance moves only the partitions that change owner.",
				protocolConsumer: "The next-generation protocol (KIP-848, Kafka 4.0+): the broker assigns partitions and members reconcile by heartbeat, with no group-wide synchronization barrier. A cluster without it falls back to classic.",
			}).
				Description("The consumer group protocol, with `consumer_group`. With `consumer`, the session timeout and heartbeat interval are the broker's (`group.consumer.session.timeout.ms`, `group.consumer.heartbeat.interval.ms`), so `session_timeout` and `heartbeat_interval` do not apply.").
				Default(protocolClassic).
				Advanced(),
			service.NewStringEnumField(fieldIsolation, "read_uncommitted", "read_committed").
				Description("Whether records of transactions not yet committed are read.").
				Default("read_uncommitted").
				Advanced(),
			serdefield.Spec(fieldKeyDeserializer, "string", "How the key is decoded (into `kafka_key` metadata).", serdefield.Decode),
			serdefield.Spec(fieldValueDeserializer, "bytes", "How the value is decoded (into the message).", serdefield.Decode),
			service.NewStringAnnotatedEnumField(fieldOnError, map[string]string{
				onErrorFlag: "Pass the raw bytes on, flagged with the error.",
				onErrorDLQ:  "Write the raw record to `dlq.topic` with error headers, then move on.",
				onErrorFail: "Stop the partition at the record; nothing after it is read or committed.",
			}).
				Description("What to do with a record whose key or value does not decode.").
				Default(onErrorFlag),
			service.NewObjectField(fieldDLQ,
				service.NewInterpolatedStringField("topic").
					Description("The dead-letter topic, evaluated per record with its metadata (e.g. `${! @kafka_topic }.dlq`). A record it fails to evaluate for stops its partition, as with `fail`.").
					Default(""),
			).Description("Where records go with `on_deserialize_error: dlq`. The writer uses this input's connection settings."),
			service.NewDurationField(fieldLagRefresh).
				Description("How often the `kafka_source_lag` gauge is refreshed (with a group).").
				Default("10s").
				Advanced(),
			service.NewBatchPolicyField(fieldBatching).
				Description("Batches records of one partition at a time. Without it each fetch of a partition is one batch."),
			service.NewAutoRetryNacksToggleField(),
		).
		LintRule(rules.Lint()).
		Example("Consumer group", "Read orders in a group, so every copy of this pipeline takes a share of the partitions.", `
input:
  kafka_source:
    seed_brokers: [ localhost:9092 ]
    topics: [ orders ]
    consumer_group: orders-enricher
    value_deserializer:
      type: json
`).
		Example("Avro with a dead-letter topic", "Decode Confluent Avro; records that do not decode go to a DLQ topic, the rest flow on.", `
input:
  kafka_source:
    seed_brokers: [ localhost:9092 ]
    topics: [ payments ]
    consumer_group: payments-audit
    value_deserializer:
      type: avro_confluent
      schema_registry:
        url: [ http://localhost:8081 ]
    on_deserialize_error: dlq
    dlq:
      topic: '${! @kafka_topic }.dlq'
`)
}
