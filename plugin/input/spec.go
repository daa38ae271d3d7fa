// Package input is the kafka_source input: franz-go's consumer with
// ack-driven, per-partition checkpointing, Ferry's deserializers, and a
// choice of what to do with records that do not decode. Importing the
// package registers the input.
package input

import (
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/bytesize"
	"github.com/ferry-connect/ferry/plugin/internal/confrules"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
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
	fieldFetchMinBytes     = "fetch_min_bytes"
	fieldMultiHeader       = "multi_header"
	fieldRegexpTopics      = "regexp_topics"
	fieldStartFromOldest   = "start_from_oldest"
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
	fieldTopicLagRefresh   = "topic_lag_refresh_period"
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
		`let has_regex = this.regexp_topics_include.or([]).length() > 0 || this.regexp_topics.or(false)`,
		`let whole = $topics.filter(t -> !t.contains(":"))`,
		`let split = $topics.filter(t -> t.contains(":")).map_each(t -> t.split(":").index(0))`,
	},
	Rules: []confrules.Rule{
		{When: `$explicit && $has_group`, Message: `"explicit partitions (topic:partition) cannot be used with consumer_group: the group assigns partitions"`},
		{When: `$explicit && $has_regex`, Message: `"explicit partitions (topic:partition) cannot be used with regular expression topics"`},
		{When: `$whole.any(t -> $split.contains(t))`, Message: `"field topics: %v is listed both whole and with partitions; list it one way".format($whole.filter(t -> $split.contains(t)).index(0))`},
		{When: `$topics.length() == 0 && this.regexp_topics_include.or([]).length() == 0`, Message: `"set topics or regexp_topics_include"`},
		{When: `$topics.length() > 0 && this.regexp_topics_include.or([]).length() > 0`, Message: `"fields topics and regexp_topics_include are exclusive: set one (or set regexp_topics: true to read topics as regular expressions)"`},
		{When: `this.regexp_topics_exclude.or([]).length() > 0 && !$has_regex`, Message: `"field regexp_topics_exclude needs regexp_topics_include or regexp_topics: true"`},
		{When: `this.on_deserialize_error.or("flag") == "dlq" && this.dlq.topic.or("") == ""`, Message: `"on_deserialize_error: dlq needs dlq.topic"`},
		bytesize.Rule(fieldFetchMaxBytes),
		bytesize.Rule(fieldFetchPartBytes),
		bytesize.Rule(fieldFetchMinBytes),
	},
}

// sizeForms says how a byte-size field may be written.
const sizeForms = "A plain byte count (`1048576`) or a number with a unit in any case (`1MB`, `1MiB`, `50mib`; kB, MB, GB are powers of 1000, KiB, MiB, GiB of 1024)."

// Dialect is what differs between kafka_source and a Redpanda Connect input
// that plugin/compat registers over the same engine: defaults, the name of
// the lag refresh field, fields that dialect adds, and its docs.
type Dialect struct {
	Conn             kafkaconn.Defaults
	SessionTimeout   string
	RebalanceTimeout string
	// LagRefreshField names the lag refresh period field, whose default
	// is LagRefresh.
	LagRefreshField, LagRefresh string
	Summary, Doc                string
	Extra                       []*service.ConfigField
	// Rules are the dialect's own lint rules, beside the component's;
	// its constructor checks them too (confrules.Set.Check).
	Rules confrules.Set
}

// FerryDialect is kafka_source's own.
var FerryDialect = Dialect{
	Conn:           kafkaconn.FerryDefaults,
	SessionTimeout: "45s", RebalanceTimeout: "60s",
	LagRefreshField: fieldLagRefresh, LagRefresh: "10s",
	Summary: "Reads records from Kafka topics, committing an offset only once it and every offset before it on its partition have been acknowledged downstream.",
	Doc:     sourceDoc,
}

// Spec is the kafka_source configuration spec.
func Spec() *service.ConfigSpec { return SpecWith(FerryDialect) }

// SpecWith is the kafka_source spec in dialect d.
func SpecWith(d Dialect) *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Categories("Services").
		Summary(d.Summary).
		Description(d.Doc).
		Fields(kafkaconn.FieldsWith(d.Conn)...).
		Fields(topicFields()...).
		Fields(flowFields()...).
		Fields(fetchFields()...).
		Fields(groupFields(d)...).
		Fields(decodeFields(d)...).
		Fields(d.Extra...).
		LintRule(rules.Join(confrules.Set{Rules: kafkaconn.BrokersRule(d.Conn)}, d.Rules).Lint()).
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
