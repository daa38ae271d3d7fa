package output

import (
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// sinkDoc is the component's description.
const sinkDoc = `
Every message of a batch becomes one Kafka record. The whole batch is produced, then every delivery is awaited, and each record ends with exactly one outcome:

- ` + "`delivered`" + `: the broker acknowledged it (with ` + "`acks`" + ` as configured);
- ` + "`nacked`" + `: it failed, and only it is returned to the pipeline as part of a batch error, so the pipeline retries just the failed records and ` + "`fallback`" + `, ` + "`switch`" + ` and ` + "`reject_errored`" + ` see exactly them. A delivered record is never sent again by Ferry.

A broker limits the size of the record *batch* it accepts (` + "`message.max.bytes`" + `). When a batch is rejected as too large, the records that shared it are produced again one at a time, so only a record that is too large on its own is failed.

When the cluster cannot be reached at all the output reports itself disconnected and the pipeline reconnects before retrying.

### Delivery guarantees

At-least-once across pipeline retries. Records of one batch to one partition keep their order when they are delivered together; a retried record is written after those that succeeded, so use ` + "`max_in_flight: 1`" + ` and ` + "`idempotent_write: true`" + ` (the default) where order across failures matters.

### Throughput and latency

By default a record is sent as soon as its write reaches the output (` + "`linger: 0s`" + `, no ` + "`batching`" + `), with up to 64 writes in flight. An input that already yields batches needs nothing more. In front of an input that yields one message at a time, set ` + "`batching: { count: 1000, period: 1ms }`" + `: about 1.5× the throughput for at most 1 ms of added latency (see docs/kafka_sink.md).

### Metrics

- ` + "`kafka_sink_records{outcome}`" + `: records by outcome (` + "`delivered`, `dead_lettered`, `nacked`" + `).
- ` + "`kafka_sink_errors{stage,reason}`" + `: record errors by stage (` + "`SERIALIZE`, `PRODUCE`" + `) and reason (the Kafka error code in lower case, or a Ferry reason such as ` + "`invalid_topic`" + `).
- ` + "`kafka_sink_null_keys`" + `: records written with a null key although ` + "`key`" + ` or ` + "`key_field`" + ` is set.

On close the output logs one line: ` + "`kafka_sink summary: received=… delivered=… dead_lettered=… nacked=…`" + ` (` + "`received`" + ` counts every write attempt, so a retried record counts again), then ` + "`null_keys=…`" + ` when there were any.
`

// RecordFields are recordFields, for a component that takes the rest from
// elsewhere (plugin/compat's redpanda_common).
func RecordFields() []*service.ConfigField { return recordFields() }

// recordFields say what record each message becomes: topic, key,
// partition, headers, timestamp and the serializers.
func recordFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewInterpolatedStringField(fieldTopic).
			Description("The topic to write each message to, evaluated per message. A topic name that Kafka would refuse (empty, over 249 characters, or with characters other than letters, digits, `.`, `_` and `-`) fails that record only."),
		service.NewInterpolatedStringField(fieldKey).
			Description("The record key, evaluated per message. An empty result writes a null key and counts it in `kafka_sink_null_keys`. Exclusive with `key_field`.").
			Example("${! @customer_id }").
			Example(`${! json("order.id") }`).
			Optional(),
		service.NewStringField(fieldKeyField).
			Description("A dotted path into the structured (JSON) message whose value becomes the key, for example `customer.id` or `items.0.sku`. A missing or null value writes a null key and counts it in `kafka_sink_null_keys`; a message that is not JSON fails that record. String values are used as they are; other values as their JSON text. Exclusive with `key`.").
			Example("customer_id").
			Optional(),
		service.NewInterpolatedStringField(fieldPartition).
			Description("The partition to write each message to, with `partitioner: manual`. A result that is not a non-negative integer fails that record.").
			Example(`${! meta("partition") }`).
			Optional().
			Advanced(),
		service.NewMetadataFilterField(fieldMetadata).
			Description("Which metadata keys become record headers. By default none do.").
			Optional(),
		service.NewInterpolatedStringMapField(fieldHeaders).
			Description("Record headers to add, each evaluated per message. They come after headers from `metadata`.").
			Example(map[string]any{"source": "ferry", "trace_id": "${! @trace_id }"}).
			Optional(),
		service.NewInterpolatedStringField(fieldTimestamp).
			Description("The record timestamp in seconds since the Unix epoch, evaluated per message: `kafka_franz`'s older spelling of `timestamp_ms`, with which it is exclusive.").
			Example(`${! timestamp_unix() }`).
			Optional().
			Advanced().
			Deprecated(),
		service.NewInterpolatedStringField(fieldTimestampMs).
			Description("The record timestamp in milliseconds since the Unix epoch, evaluated per message. By default the time the batch is written, shared by its records. A result that is not an integer fails that record.").
			Example(`${! timestamp_unix_milli() }`).
			Example(`${! json("created_at").ts_parse("2006-01-02T15:04:05Z07:00").ts_unix_milli() }`).
			Optional().
			Advanced(),
		serdefield.Spec(fieldKeySerializer, "string", "How the key is encoded.", serdefield.Encode),
		serdefield.Spec(fieldValueSerializer, "bytes", "How the value (the message) is encoded.", serdefield.Encode),
	}
}

// ProducerFields are the producer's settings and limits in dialect d, for
// a block that sets them for several outputs (plugin/compat's top-level
// redpanda block).
func ProducerFields(d Dialect) []*service.ConfigField { return producerFields(d) }

// producerFields are the producer's settings and limits.
func producerFields(d Dialect) []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringAnnotatedEnumField(fieldPartitioner, map[string]string{
			partMurmur2Hash: "Kafka's default: the murmur2 hash of the key modulo the partition count, byte-compatible with the Java client, so keyed records land where a Java producer would put them. Records with a null key are spread with sticky batching.",
			partMurmur2:     "Alias of `murmur2_hash`.",
			partRoundRobin:  "Each record goes to the next partition in turn, whatever its key.",
			partLeastBackup: "Each record goes to the partition with the fewest records buffered, whatever its key. Good throughput when keys do not matter.",
			partManual:      "Each record goes to the partition given by `partition`.",
			partFnv1aHash:   "Sarama's default (Redpanda Connect's `kafka` output): the FNV-1a hash of the key as a signed 32-bit integer, modulo the partition count, negated when negative, so keyed records land where Sarama put them. Records with a null key are spread with sticky batching.",
			partRandom:      "Each record goes to a partition chosen at random, whatever its key.",
		}).
			Description("How records are assigned to partitions.").
			Default(partMurmur2Hash).
			Advanced(),
		service.NewStringAnnotatedEnumField(fieldAcks, map[string]string{
			"all":    "Every in-sync replica must have the record (Kafka's `acks=all`, `-1`). Required by `idempotent_write`.",
			"leader": "Only the partition leader must have the record (`acks=1`).",
			"none":   "No acknowledgement is awaited (`acks=0`): records can be lost without any error.",
		}).
			Description("How many replicas must acknowledge a record before it counts as delivered.").
			Default("all").
			Advanced(),
		service.NewBoolField(fieldIdempotentWrite).
			Description("Write with an idempotent producer, so the broker drops duplicates caused by the client's own retries and keeps per-partition order. Requires `acks: all`; the principal needs the IDEMPOTENT_WRITE permission on clusters older than Kafka 2.8.").
			Default(true).
			Advanced(),
		service.NewStringEnumField(fieldCompression, "none", "gzip", "snappy", "lz4", "zstd").
			Description("The compression codec for record batches.").
			Default("snappy").
			Advanced(),
		service.NewDurationField(fieldLinger).
			Description("How long the client waits for more records before sending a partition's batch. The output already waits for whole pipeline batches, so a longer linger mostly adds latency; use `batching` to group records.").
			Default("0s").
			Advanced(),
		service.NewStringField(fieldMaxMessageBytes).
			Description("The largest record batch the client builds, before compression (Kafka's `max.message.bytes`). A single record larger than this fails on its own. Keep it at or below the broker's and topic's `message.max.bytes`. " + sizeForms).
			Default(d.MaxMessageBytes).
			Example("1MiB").
			Example("50mib").
			Advanced(),
		service.NewIntField(fieldMaxBufferedRecords).
			Description("The most records the client holds waiting for delivery; producing blocks beyond it, which back-pressures the pipeline.").
			Default(10000).
			Advanced(),
		service.NewStringField(fieldMaxBufferedBytes).
			Description("The most bytes of records the client holds waiting for delivery, checked after `max_buffered_records`; producing blocks beyond it. `0` (the default) sets no byte limit. " + sizeForms).
			Default("0").
			Example("256MB").
			Advanced(),
		service.NewStringField(fieldBrokerWriteMax).
			Description("The most bytes written to a broker connection in one request (Kafka's `socket.request.max.bytes` on the broker's side): a produce request is cut below it. " + sizeForms).
			Default("100MiB").
			Advanced(),
		service.NewIntField(fieldMaxInFlightReqs).
			Description("Produce requests in flight per broker connection. The idempotent producer (the default) keeps its own limit, so other values need `idempotent_write: false`, and then may reorder and duplicate records on retries. Not to be confused with `max_in_flight`, the batches written at once.").
			Default(1).
			Advanced(),
		service.NewIntField(fieldRecordRetries).
			Description("How many times the client retries producing a record before failing it (and every record buffered after it on its partition, to keep order); the record then goes back to the pipeline. `0` (the default) retries until `timeout`. With `idempotent_write` the limit is enforced only when failing cannot break the producer's sequence numbers.").
			Default(0).
			Advanced(),
		service.NewDurationField(fieldDeliveryTimeout).
			Description("How long a record may take to be delivered from the moment the output sends it, retries included (Kafka's `delivery.timeout.ms`): it lowers `timeout` for this output when shorter. A record not delivered by then goes back to the pipeline. Unlike franz-go's option of that name, the clock does not start at the record's timestamp, so records carrying old timestamps are not failed at once. `0s` (the default) leaves it to `timeout`.").
			Default("0s").
			Advanced(),
		service.NewDurationField(fieldTimeout).
			Description("How long the output waits for the records of one batch, retries included. Records not delivered by then fail and are returned to the pipeline. With `idempotent_write` a record already sent is failed only once the broker has answered, so no duplicate is created.").
			Default("10s").
			Advanced(),
		service.NewBoolField(fieldAutoTopicCreation).
			Description("Ask the brokers to create a topic that does not exist (they do so only if their `auto.create.topics.enable` allows it). When off, records for a missing topic fail with UNKNOWN_TOPIC_OR_PARTITION.").
			Default(true).
			Advanced(),
	}
}

// dlqField is the dead-letter block.
func dlqField() *service.ConfigField {
	return service.NewObjectField(fieldDLQ,
		service.NewInterpolatedStringField("topic").
			Description("The dead-letter topic, evaluated per message, e.g. `orders.dlq` or `${! @kafka_topic }.dlq`."),
		service.NewBoolField("error_headers").
			Description("Add Kafka Connect's `__connect.errors.*` headers (original topic, stage, error class and message, connector) to each dead letter.").
			Default(true),
		service.NewStringEnumField("acks", "all", "leader", "none").
			Description("Acknowledgements for dead letters; by default the output's `acks`.").
			Optional().
			Advanced(),
		service.NewStringField("max_message_bytes").
			Description("The largest dead-letter batch; by default the output's `max_message_bytes`. A dead letter too large even alone has its value dropped (see the delivery guide).").
			Optional().
			Advanced(),
	).
		Description("Dead-letter queue. Records that fail for a reason of their own (serialization, MESSAGE_TOO_LARGE, INVALID_RECORD, CORRUPT_MESSAGE, an invalid topic) are written here with their original key, raw value, headers and timestamp, and count as `dead_lettered`; retrying them would not help. Cluster-wide or retriable errors are never dead-lettered: those records are returned to the pipeline. A record whose dead-letter write fails is returned to the pipeline too.").
		Optional()
}

// transactionField is the transaction block.
func transactionField() *service.ConfigField {
	return service.NewObjectField(fieldTransaction,
		service.NewBoolField("enabled").
			Description("Write each batch in a Kafka transaction: a `read_committed` consumer sees a batch whole or not at all, and a batch whose transaction aborts is nacked whole (outcomes are per batch, not per record). Dead letters of a batch are written in its transaction. Requires `acks: all` and `idempotent_write: true`.").
			Default(false),
		service.NewStringField("id").
			Description("The transactional ID. It must be stable across restarts of one instance (a restarted instance fences its predecessor's transaction) and differ between instances. By default `ferry-<group>-<instance>`: the `commit_source`'s consumer group (or this output's label) and its `instance_id` (or the host name). Set it when several instances run on one host, e.g. `orders-${INSTANCE}`.").
			Default("").
			Example("orders-enricher-${HOSTNAME}"),
		service.NewStringField("commit_source").
			Description("The label of a `kafka_source` in this pipeline, in a consumer group, whose offsets commit inside this output's transactions: exactly-once from Kafka to Kafka for `read_committed` readers (KIP-447). That input then never commits its offsets itself. See docs/exactly-once.md.").
			Default("").
			Example("orders_in"),
		service.NewDurationField("commit_period").
			Description("With `commit_source`: how often the open transaction commits, with the input's offsets. Longer periods amortize each commit over more batches; records become visible to `read_committed` readers when their transaction commits.").
			Default("100ms").
			Advanced(),
		service.NewDurationField("timeout").
			Description("The transaction timeout: how long the brokers wait for an open transaction of an instance that stopped answering before aborting it. A restarted instance with the same `id` aborts it at once.").
			Default("10s").
			Advanced(),
	).
		Description("Kafka transactions: atomic batches, and with `commit_source` exactly-once from a `kafka_source` in the same pipeline.").
		Optional()
}
