// Package output is the kafka_sink output: a thin Benthos adapter over
// franz-go's producer, Ferry's serializers (serde) and its delivery ledger
// (internal/accounting). Importing the package registers the output.
package output

import (
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/bytesize"
	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
)

// Name is the component name used in configs.
const Name = "kafka_sink"

// Field names, shared by the spec, the parser and error messages.
const (
	fieldTopic              = "topic"
	fieldKey                = "key"
	fieldKeyField           = "key_field"
	fieldPartition          = "partition"
	fieldPartitioner        = "partitioner"
	fieldMetadata           = "metadata"
	fieldHeaders            = "headers"
	fieldTimestampMs        = "timestamp_ms"
	fieldKeySerializer      = "key_serializer"
	fieldValueSerializer    = "value_serializer"
	fieldAcks               = "acks"
	fieldIdempotentWrite    = "idempotent_write"
	fieldCompression        = "compression"
	fieldLinger             = "linger"
	fieldMaxMessageBytes    = "max_message_bytes"
	fieldMaxBufferedRecords = "max_buffered_records"
	fieldMaxBufferedBytes   = "max_buffered_bytes"
	fieldBrokerWriteMax     = "broker_write_max_bytes"
	fieldMaxInFlightReqs    = "max_in_flight_requests"
	fieldRecordRetries      = "record_retries"
	fieldDeliveryTimeout    = "record_delivery_timeout"
	fieldTimestamp          = "timestamp"
	fieldTimeout            = "timeout"
	fieldAutoTopicCreation  = "allow_auto_topic_creation"
	fieldBatching           = "batching"
	fieldDLQ                = "dlq"
	fieldTransaction        = "transaction"
)

// Partitioner names. murmur2_hash is kafka_franz's name for the Java
// client's default; murmur2 is accepted as a shorter alias.
const (
	partMurmur2Hash = "murmur2_hash"
	partMurmur2     = "murmur2"
	partRoundRobin  = "round_robin"
	partLeastBackup = "least_backup"
	partManual      = "manual"
	partFnv1aHash   = "fnv1a_hash"
	partRandom      = "random"
)

// rules are kafka_sink's cross-field rules: combinations that can never
// work, refused at `connect lint` and by the constructor alike.
var rules = confrules.Set{
	Lets: []string{
		`let has_key = this.key.or("") != ""`,
		`let has_key_field = this.key_field.or("") != ""`,
		`let manual = this.partitioner.or("murmur2_hash") == "manual"`,
		`let has_partition = this.partition.or("") != ""`,
		`let acks = this.acks.or("all")`,
		`let txn = this.transaction.enabled.or(false)`,
	},
	Rules: []confrules.Rule{
		{When: `$has_key && $has_key_field`, Message: `"fields key and key_field are mutually exclusive: set one of them"`},
		{When: `$has_partition && !$manual`, Message: `"field partition requires partitioner: manual"`},
		{When: `$manual && !$has_partition`, Message: `"partitioner: manual requires field partition"`},
		{When: `this.idempotent_write.or(true) && $acks != "all"`, Message: `"field idempotent_write requires acks: all (got acks: %v); set idempotent_write: false to use weaker acks".format($acks)`},
		{When: `$txn && !this.idempotent_write.or(true)`, Message: `"transaction.enabled requires idempotent_write: true"`},
		{When: `$txn && $acks != "all"`, Message: `"transaction.enabled requires acks: all (got acks: %v)".format($acks)`},
		{When: `this.transaction.commit_source.or("") != "" && !$txn`, Message: `"transaction.commit_source requires transaction.enabled: true"`},
		{When: `this.transaction.commit_source.or("") != "" && (this.batching.count.or(0) > 1 || this.batching.byte_size.or(0) > 0 || this.batching.period.or("") != "" || this.batching.check.or("") != "")`, Message: `"batching does not apply with transaction.commit_source: batch on the kafka_source instead (an input batch split across writes cannot commit)"`},
		{When: `$txn && (this.dlq.acks.or("") != "" || this.dlq.max_message_bytes.or("") != "")`, Message: `"dlq.acks and dlq.max_message_bytes do not apply with transaction.enabled: dead letters are written in the transaction, with the output's settings"`},
		{When: `this.idempotent_write.or(true) && this.max_in_flight_requests.or(1) != 1`, Message: `"field max_in_flight_requests: the idempotent producer keeps its own limit (5 per broker), so %v cannot be honoured; set idempotent_write: false to use it".format(this.max_in_flight_requests)`},
		{When: `this.timestamp.or("") != "" && this.timestamp_ms.or("") != ""`, Message: `"fields timestamp and timestamp_ms are mutually exclusive: set one of them"`},
		bytesize.Rule(fieldMaxMessageBytes),
		bytesize.Rule(fieldDLQ + "." + fieldMaxMessageBytes),
		bytesize.Rule(fieldMaxBufferedBytes),
		bytesize.Rule(fieldBrokerWriteMax),
	},
}

// sizeForms says how a byte-size field may be written.
const sizeForms = "A plain byte count (`1048576`) or a number with a unit in any case (`1MB`, `1MiB`, `50mib`; kB, MB, GB are powers of 1000, KiB, MiB, GiB of 1024)."

// Dialect is what differs between kafka_sink and a Redpanda Connect output
// that plugin/compat registers over the same engine: defaults, fields that
// dialect adds, and its docs.
type Dialect struct {
	Conn            kafkaconn.Defaults
	MaxInFlight     int
	MaxMessageBytes string
	Summary, Doc    string
	Extra           []*service.ConfigField
	// Rules are the dialect's own lint rules, beside the component's;
	// its constructor checks them too (confrules.Set.Check).
	Rules confrules.Set
}

// FerryDialect is kafka_sink's own.
var FerryDialect = Dialect{
	Conn:        kafkaconn.FerryDefaults,
	MaxInFlight: 64, MaxMessageBytes: "1MB",
	Summary: "Writes messages to Kafka with per-record delivery accounting: keys extracted per batch, pluggable serializers, and only the records that failed returned to the pipeline.",
	Doc:     sinkDoc,
}

// Spec is the kafka_sink configuration spec.
func Spec() *service.ConfigSpec { return SpecWith(FerryDialect) }

// SpecWith is the kafka_sink spec in dialect d.
func SpecWith(d Dialect) *service.ConfigSpec {
	spec := service.NewConfigSpec().
		Stable().
		Categories("Services").
		Summary(d.Summary).
		Description(d.Doc).
		Fields(kafkaconn.FieldsWith(d.Conn)...).
		Fields(recordFields()...).
		Fields(producerFields(d)...).
		Fields(
			dlqField(),
			transactionField(),
			service.NewOutputMaxInFlightField().Default(d.MaxInFlight),
			service.NewBatchPolicyField(fieldBatching),
			service.NewInjectTracingSpanMappingField(),
		).
		Fields(d.Extra...).
		LintRule(rules.Join(confrules.Set{Rules: kafkaconn.BrokersRule(d.Conn)}, d.Rules).Lint()).
		Example("Keyed JSON",
			"Write JSON orders keyed by customer, so every order of a customer lands on the same partition in order.",
			`
output:
  kafka_sink:
    seed_brokers: [ localhost:9092 ]
    topic: orders
    key_field: customer_id
    value_serializer:
      type: json
    batching:
      count: 1000
      period: 50ms
`).
		Example("Routed by metadata, with headers",
			"Write each message to a topic named in its metadata, copying selected metadata into headers and stamping the event time.",
			`
output:
  kafka_sink:
    seed_brokers: [ broker-1:9092, broker-2:9092 ]
    topic: 'events.${! @event_type }'
    key: '${! @tenant }'
    metadata:
      include_prefixes: [ trace_ ]
    headers:
      source: ferry
    timestamp_ms: '${! json("ts_ms") }'
    tls:
      enabled: true
    sasl:
      - mechanism: SCRAM-SHA-512
        username: ferry
        password: '${KAFKA_PASSWORD}'
`)
	return spec
}
