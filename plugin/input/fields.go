package input

import (
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// sourceDoc is the component's description.
const sourceDoc = `
Each partition is read in order, and a batch never mixes partitions. An offset is committed (every ` + "`commit_period`" + `, before a partition is given up in a rebalance, and on close) only when that record and every earlier record of its partition have been acknowledged by the output, so a crash or a rebalance loses nothing: records after the last commit are read again (at-least-once). Partitions that are lost (the member was expelled from the group) commit nothing.

### Scaling out

With ` + "`consumer_group`" + `, partitions are balanced across every ` + "`kafka_source`" + ` in the group, on any number of machines: run more copies of the pipeline to read faster, up to one per partition. Without a group, the listed topics and partitions (` + "`topic:partition`" + `, ` + "`topic:from-to`" + ` or ` + "`topic:partition:offset`" + `, beside whole topics if you like) are read in full by this one input and nothing is committed.

### Records that do not decode

` + "`on_deserialize_error`" + ` decides: ` + "`flag`" + ` (the default) passes the raw bytes on, flagged with the error, so ` + "`switch`" + ` with ` + "`errored()`" + ` or ` + "`reject_errored`" + ` can route them; ` + "`dlq`" + ` writes the raw record to ` + "`dlq.topic`" + ` with Kafka Connect's ` + "`__connect.errors.*`" + ` headers and moves on (through the same dead-letter path as ` + "`kafka_sink`" + `'s ` + "`dlq`" + `: a dead letter too large for the DLQ topic is written without its value; a DLQ that is out of reach or unauthorized is retried while the record waits uncommitted; a record the DLQ refuses for good stops its partition, as with ` + "`fail`" + `); ` + "`fail`" + ` stops the partition at that record (nothing after it on that partition is read or committed) until the record is fixed or skipped by hand.

### Metadata

` + "`kafka_key`, `kafka_topic`, `kafka_partition`, `kafka_offset`, `kafka_timestamp_ms`, `kafka_timestamp_unix`, `kafka_tombstone_message`, `kafka_lag`" + ` (records after this one in the partition when it was fetched), and one entry per record header.

### Metrics

- ` + "`kafka_source_records{outcome}`" + `: ` + "`received`, `delivered` (acknowledged downstream), `dead_lettered`, `nacked`" + `.
- ` + "`kafka_source_errors{stage,reason}`" + `: records that failed to decode (stage ` + "`DESERIALIZE`" + `, reason the codec, e.g. ` + "`serde.json`" + `), and failed DLQ writes (stage ` + "`DLQ`" + `, reason the Kafka error).
- ` + "`kafka_source_lag{topic,partition}`" + `: with a group, the records not yet committed, refreshed every ` + "`lag_refresh_period`" + `.
- ` + "`kafka_source_commits{outcome}`" + `: offset commits, ` + "`ok` or `failed`" + ` (a commit the broker refused for any partition is ` + "`failed`" + `).
- ` + "`kafka_source_partitions`" + `: with a group, how many partitions this member is assigned.
- ` + "`kafka_source_rebalances{event}`" + `: with a group, how many times partitions were ` + "`assigned`" + ` to this member, ` + "`revoked`" + ` from it, or ` + "`lost`" + ` by it (expelled from the group).

On close the input logs one summary line: ` + "`kafka_source summary: received=… delivered=… dead_lettered=… nacked=…`" + `.
`

// topicFields say what is read: topics, partitions, regexps, the group and where to start.
func topicFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringListField(fieldTopics).
			Description("Topics to read. Without a consumer group an item may name partitions: `topic:0`, `topic:0-3`, or `topic:2:1500` to start partition 2 at offset 1500. Items may hold several, comma-separated.").
			Default([]any{}).
			Example([]string{"orders"}).
			Example([]string{"orders:0-5", "payments:2:1500"}),
		service.NewStringListField(fieldRegexpInclude).
			Description("Read every topic matching one of these regular expressions (Go RE2 syntax); new matching topics are picked up as metadata refreshes.").
			Default([]any{}).
			Advanced(),
		service.NewBoolField(fieldRegexpTopics).
			Description("Read the items of `topics` as regular expressions, as `regexp_topics_include` does (`kafka_franz`'s older spelling).").
			Default(false).
			Advanced().
			Deprecated(),
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
		service.NewBoolField(fieldStartFromOldest).
			Description("`kafka_franz`'s older spelling: `false` means `start_offset: latest`. It gives way to a `start_offset` of `latest`, `committed` or a time; with `earliest` (the default, which cannot be told from an explicit one) it wins.").
			Default(true).
			Advanced().
			Deprecated(),
	}
}

// flowFields bound what is in the pipeline and how often it commits.
func flowFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewIntField(fieldCheckpointLimit).
			Description("The most records of one partition that may be in the pipeline unacknowledged. Records past the limit are decoded and held back, and handed over as acknowledgements come in; batches without a batching policy are cut at the limit. The input fetches no more while about two limits per assigned partition are held, which bounds memory.").
			Default(1024).
			Advanced(),
		service.NewDurationField(fieldCommitPeriod).
			Description("How often acknowledged offsets are committed (at least 100ms).").
			Default("5s").
			Advanced(),
	}
}

// fetchFields are the fetch sizes and wait.
func fetchFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringField(fieldFetchMaxBytes).
			Description("The most bytes one fetch request returns (Kafka's `fetch.max.bytes`; a record larger than it still comes, alone). " + sizeForms).
			Default("50MiB").
			Advanced(),
		service.NewStringField(fieldFetchPartBytes).
			Description("The most bytes one fetch returns for one partition (Kafka's `max.partition.fetch.bytes`). " + sizeForms).
			Default("1MiB").
			Advanced(),
		service.NewStringField(fieldFetchMinBytes).
			Description("The fewest bytes a broker gathers before answering a fetch, up to `fetch_max_wait` (Kafka's `fetch.min.bytes`). " + sizeForms).
			Default("1B").
			Advanced(),
		service.NewDurationField(fieldFetchMaxWait).
			Description("How long a broker may wait for data before answering a fetch.").
			Default("5s").
			Advanced(),
	}
}

// groupFields are the rack, isolation and consumer group settings.
func groupFields(d Dialect) []*service.ConfigField {
	return []*service.ConfigField{
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
			Default(d.SessionTimeout).
			Advanced(),
		service.NewDurationField(fieldRebalanceTimeout).
			Description("How long members have to finish a rebalance.").
			Default(d.RebalanceTimeout).
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
	}
}

// decodeFields say how records become messages and batches, what happens
// to those that do not decode, and how nacks are retried.
func decodeFields(d Dialect) []*service.ConfigField {
	return []*service.ConfigField{
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
		service.NewDurationField(d.LagRefreshField).
			Description("How often the `kafka_source_lag` gauge is refreshed (with a group).").
			Default(d.LagRefresh).
			Advanced(),
		service.NewBatchPolicyField(fieldBatching).
			Description("Batches records of one partition at a time. Without it each fetch of a partition is one batch."),
		service.NewBoolField(fieldMultiHeader).
			Description("Set each header as a list of its values (a header may repeat), instead of one string per header name, where a repeated header keeps its last value.").
			Default(false).
			Advanced(),
		service.NewAutoRetryNacksToggleField(),
		service.NewForceTimelyNacksField(),
		service.NewExtractTracingSpanMappingField(),
	}
}
