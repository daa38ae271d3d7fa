package all_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	// The host's own components (tracer, metrics, buffer defaults).
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	_ "github.com/ferry-connect/ferry/plugin/all"
)

// construct builds the component configured by yaml (the way a host
// builds a component field, without linting) and closes it at once; it
// returns the constructor's error, if any.
func construct(t *testing.T, env *service.Environment, kind, yaml string) string {
	t.Helper()
	var field *service.ConfigField
	switch kind {
	case "input":
		field = service.NewInputField("c")
	case "output":
		field = service.NewOutputField("c")
	default:
		field = service.NewProcessorField("c")
	}
	conf, err := service.NewConfigSpec().Field(field).ParseYAML("c:\n"+indent(yaml), env)
	if err != nil {
		return err.Error()
	}
	// The component is not run, so closing it need not wait.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	switch kind {
	case "input":
		var in *service.OwnedInput
		if in, err = conf.FieldInput("c"); err == nil {
			_ = in.Close(ctx)
		}
	case "output":
		var out *service.OwnedOutput
		if out, err = conf.FieldOutput("c"); err == nil {
			_ = out.Close(ctx)
		}
	default:
		var proc *service.OwnedProcessor
		if proc, err = conf.FieldProcessor("c"); err == nil {
			_ = proc.Close(ctx)
		}
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// Every cross-field rule is refused in the same words by `connect lint`
// (Benthos's component linter, in process) and by the component's
// constructor (a stream built with linting off), and every clean config
// passes both: the rules live once (internal/confrules), so the two
// cannot drift.
func TestRulesAgreeInLintAndConstructor(t *testing.T) {
	const (
		sink   = "kafka_sink:\n  seed_brokers: [ localhost:9092 ]\n  topic: t\n"
		source = "kafka_source:\n  seed_brokers: [ localhost:9092 ]\n"
	)
	type kind int
	const (
		input kind = iota
		output
		processor
	)
	for _, tc := range []struct {
		name string
		kind kind
		yaml string
		want string // "" for a clean config
	}{
		{"sink clean", output, sink + "  key_field: id\n", ""},
		{"sink without brokers", output, "kafka_sink:\n  topic: t\n", "field seed_brokers: at least one broker address is required"},
		{"sink Sarama's partitioners", output, sink + "  partitioner: fnv1a_hash\n", ""},
		{"source without brokers", input, "kafka_source:\n  topics: [ t ]\n", "field seed_brokers: at least one broker address is required"},
		{"sink key and key_field", output, sink + "  key: x\n  key_field: id\n", "fields key and key_field are mutually exclusive"},
		{"sink partition without manual", output, sink + "  partition: '1'\n", "field partition requires partitioner: manual"},
		{"sink manual without partition", output, sink + "  partitioner: manual\n", "partitioner: manual requires field partition"},
		{"sink manual with partition", output, sink + "  partitioner: manual\n  partition: '1'\n", ""},
		{"sink idempotence with acks leader", output, sink + "  acks: leader\n", "field idempotent_write requires acks: all (got acks: leader)"},
		{"sink acks leader without idempotence", output, sink + "  acks: leader\n  idempotent_write: false\n", ""},
		{"sink avro without schema", output, sink + "  value_serializer:\n    type: avro\n", "value_serializer: type avro needs schema or schema_file"},
		{"sink schema and schema_file", output, sink + "  key_serializer:\n    type: avro\n    schema: '\"long\"'\n    schema_file: x.avsc\n", "key_serializer: fields schema and schema_file are mutually exclusive"},
		{"sink confluent without registry", output, sink + "  value_serializer:\n    type: avro_confluent\n    schema: '\"long\"'\n", "value_serializer: type avro_confluent needs schema_registry.url"},
		{"sink confluent encoder without schema", output, sink + "  value_serializer:\n    type: avro_confluent\n    schema_registry: { url: [ http://localhost:8081 ] }\n", "value_serializer: type avro_confluent needs schema or schema_file to serialize"},
		{"sink confluent encoder with use_latest", output, sink + "  value_serializer:\n    type: avro_confluent\n    use_latest: true\n    schema_registry: { url: [ http://localhost:8081 ] }\n", ""},
		{"sink transaction clean", output, sink + "  transaction: { enabled: true }\n", ""},
		{"sink transaction with acks leader", output, sink + "  acks: leader\n  idempotent_write: false\n  transaction: { enabled: true }\n", "transaction.enabled requires acks: all (got acks: leader)"},
		{"sink transaction without idempotence", output, sink + "  idempotent_write: false\n  transaction: { enabled: true }\n", "transaction.enabled requires idempotent_write: true"},
		{"sink commit_source without transactions", output, sink + "  transaction: { commit_source: in }\n", "transaction.commit_source requires transaction.enabled: true"},
		{"sink commit_source with output batching", output, sink + "  batching: { count: 100 }\n  transaction: { enabled: true, commit_source: in }\n", "batching does not apply with transaction.commit_source"},
		{"sink transaction with dlq acks", output, sink + "  dlq: { topic: d, acks: leader }\n  transaction: { enabled: true }\n", "dlq.acks and dlq.max_message_bytes do not apply with transaction.enabled"},
		{"sink kafka_franz limits", output, sink + "  max_message_bytes: 50mib\n  broker_write_max_bytes: 100MiB\n  max_buffered_bytes: 256MB\n  record_retries: 3\n  record_delivery_timeout: 30s\n", ""},
		{"sink max_message_bytes as an integer", output, sink + "  max_message_bytes: 1048576\n", ""},
		{"sink size not a size", output, sink + "  max_buffered_bytes: 2 apples\n", `field max_buffered_bytes: "2 apples" is not a byte size`},
		{"sink dlq size not a size", output, sink + "  dlq: { topic: d, max_message_bytes: big }\n", `field dlq.max_message_bytes: "big" is not a byte size`},
		{"sink in-flight requests with idempotence", output, sink + "  max_in_flight_requests: 5\n", "field max_in_flight_requests: the idempotent producer keeps its own limit"},
		{"sink in-flight requests without idempotence", output, sink + "  max_in_flight_requests: 5\n  idempotent_write: false\n  acks: leader\n", ""},
		{"sink timestamp and timestamp_ms", output, sink + "  timestamp: '${! timestamp_unix() }'\n  timestamp_ms: '${! timestamp_unix_milli() }'\n", "fields timestamp and timestamp_ms are mutually exclusive"},
		{"sink reader_schema on confluent", output, sink + "  value_serializer:\n    type: avro_confluent\n    schema: '\"long\"'\n    reader_schema: '\"long\"'\n    schema_registry: { url: [ http://localhost:8081 ] }\n", "reader_schema applies to type avro only"},

		{"source clean group", input, source + "  topics: [ orders ]\n  consumer_group: g\n", ""},
		{"source clean partitions", input, source + "  topics: [ 'orders:0-3', 'payments:2:1500' ]\n", ""},
		{"source comma-separated partitions", input, source + "  topics: [ 'orders:0,payments:1' ]\n", ""},
		{"source group with partitions", input, source + "  topics: [ 'orders:0' ]\n  consumer_group: g\n", "explicit partitions (topic:partition) cannot be used with consumer_group"},
		{"source regex with partitions", input, source + "  topics: [ 'orders:0' ]\n  regexp_topics_include: [ 'ord.*' ]\n", "cannot be used with regular expression topics"},
		{"source whole topics beside partitions", input, source + "  topics: [ orders, 'payments:0', 'refunds:0-3' ]\n", ""},
		{"source whole topics beside partitions in one item", input, source + "  topics: [ 'orders:0,payments' ]\n", ""},
		{"source one topic whole and partitioned", input, source + "  topics: [ orders, 'orders:0' ]\n", "field topics: orders is listed both whole and with partitions"},
		{"source topics and regexp_topics_include", input, source + "  topics: [ orders ]\n  regexp_topics_include: [ 'ord.*' ]\n  consumer_group: g\n", "fields topics and regexp_topics_include are exclusive"},
		{"source regexp_topics", input, source + "  topics: [ 'ord.*' ]\n  regexp_topics: true\n  regexp_topics_exclude: [ 'ord.*-dlq' ]\n  consumer_group: g\n", ""},
		{"source regexp_topics_exclude alone", input, source + "  topics: [ orders ]\n  regexp_topics_exclude: [ x ]\n  consumer_group: g\n", "field regexp_topics_exclude needs regexp_topics_include or regexp_topics: true"},
		{"source start_from_oldest false", input, source + "  topics: [ orders ]\n  consumer_group: g\n  start_from_oldest: false\n", ""},
		{"source sizes as strings", input, source + "  topics: [ orders ]\n  consumer_group: g\n  fetch_max_bytes: 50MiB\n  fetch_max_partition_bytes: 1mib\n  fetch_min_bytes: 1B\n", ""},
		{"source sizes as integers", input, source + "  topics: [ orders ]\n  consumer_group: g\n  fetch_max_bytes: 52428800\n  fetch_min_bytes: 1\n", ""},
		{"source size not a size", input, source + "  topics: [ orders ]\n  consumer_group: g\n  fetch_max_bytes: lots\n", `field fetch_max_bytes: "lots" is not a byte size`},
		{"source broker without port, tcp and target_version", input, "kafka_source:\n  seed_brokers: [ localhost, '[::1]', 'b:9093' ]\n  topics: [ t ]\n  target_version: 2.1.0\n  tcp: { connect_timeout: 5s, keep_alive: { idle: 30s } }\n  multi_header: true\n  timely_nacks_maximum_wait: 30s\n", ""},
		{"source no topics", input, source + "  consumer_group: g\n", "set topics or regexp_topics_include"},
		{"source regex only", input, source + "  regexp_topics_include: [ 'ord.*' ]\n  consumer_group: g\n", ""},
		{"source dlq without topic", input, source + "  topics: [ t ]\n  on_deserialize_error: dlq\n", "on_deserialize_error: dlq needs dlq.topic"},
		{"source decoder confluent without schema", input, source + "  topics: [ t ]\n  value_deserializer:\n    type: avro_confluent\n    schema_registry: { url: [ http://localhost:8081 ] }\n", ""},
		{"source avro without schema", input, source + "  topics: [ t ]\n  value_deserializer: { type: avro }\n", "value_deserializer: type avro needs schema or schema_file"},

		{"source decoder with use_latest", input, source + "  topics: [ t ]\n  value_deserializer:\n    type: avro_confluent\n    use_latest: true\n    schema_registry: { url: http://localhost:8081 }\n", "value_deserializer: use_latest applies to encoding only"},
		{"deserialize with subject_strategy", processor, "deserialize:\n  type: avro_confluent\n  subject_strategy: record_name\n  schema_registry: { url: http://localhost:8081 }\n", "subject_strategy applies to encoding only"},
		{"registry url as a string", processor, "serialize:\n  type: avro_confluent\n  schema: '\"long\"'\n  schema_registry: { url: http://localhost:8081 }\n", ""},
		{"registry url comma-separated", processor, "serialize:\n  type: avro_confluent\n  schema: '\"long\"'\n  schema_registry: { url: 'http://r1:8081,http://r2:8081' }\n", ""},
		{"registry basic_auth enabled", processor, "deserialize:\n  type: avro_confluent\n  schema_registry:\n    url: http://localhost:8081\n    basic_auth: { enabled: true, username: u, password: p }\n", ""},
		{"registry basic_auth enabled without username", processor, "deserialize:\n  type: avro_confluent\n  schema_registry:\n    url: http://localhost:8081\n    basic_auth: { enabled: true }\n", "basic_auth.enabled needs basic_auth.username"},
		{"registry url not a string", processor, "deserialize:\n  type: avro_confluent\n  schema_registry: { url: 8081 }\n", "url: want a string or a list of strings"},
		{"serialize confluent without schema", processor, "serialize:\n  type: avro_confluent\n  schema_registry: { url: [ http://localhost:8081 ] }\n", "type avro_confluent needs schema or schema_file to serialize"},
		{"deserialize confluent without schema", processor, "deserialize:\n  type: avro_confluent\n  schema_registry: { url: [ http://localhost:8081 ] }\n", ""},
		{"deserialize avro without schema", processor, "deserialize:\n  type: avro\n", "type avro needs schema or schema_file"},
		{"serialize json_schema without schema", processor, "serialize:\n  type: json_schema\n", "type json_schema needs schema or schema_file"},
		{"deserialize json_schema_confluent without registry", processor, "deserialize:\n  type: json_schema_confluent\n", "type json_schema_confluent needs schema_registry.url"},
		{"serialize json_schema_confluent without schema", processor, "serialize:\n  type: json_schema_confluent\n  schema_registry: { url: http://localhost:8081 }\n", "type json_schema_confluent needs schema or schema_file to serialize"},
		{"deserialize json_schema_confluent validating", processor, "deserialize:\n  type: json_schema_confluent\n  validate: true\n  schema_registry: { url: http://localhost:8081 }\n", ""},
		{"deserialize validate on avro", processor, "deserialize:\n  type: avro\n  schema: '\"long\"'\n  validate: true\n", "validate applies to types json_schema and json_schema_confluent only"},
		{"sink protobuf_confluent", output, sink + "  value_serializer:\n    type: protobuf_confluent\n    schema: 'syntax = \"proto3\"; message A { string id = 1; }'\n    message: A\n    schema_registry: { url: http://localhost:8081 }\n", ""},
		{"sink protobuf_confluent without registry", output, sink + "  value_serializer:\n    type: protobuf_confluent\n    schema: 'syntax = \"proto3\"; message A {}'\n", "value_serializer: type protobuf_confluent needs schema_registry.url"},
		{"source protobuf decoder by ID", input, source + "  topics: [ t ]\n  value_deserializer:\n    type: protobuf_confluent\n    use_proto_names: true\n    schema_registry: { url: http://localhost:8081 }\n", ""},
		{"source protobuf without schema", input, source + "  topics: [ t ]\n  key_deserializer:\n    type: protobuf\n", "key_deserializer: type protobuf needs schema or schema_file"},
		{"message on avro", processor, "serialize:\n  type: avro\n  schema: '\"long\"'\n  message: A\n", "message applies to types protobuf and protobuf_confluent only"},
		{"use_proto_names on json", processor, "deserialize:\n  type: json\n  use_proto_names: true\n", "use_proto_names and use_enum_numbers apply to types protobuf and protobuf_confluent only"},
		{"serialize schema and schema_file", processor, "serialize:\n  type: avro\n  schema: '\"long\"'\n  schema_file: x.avsc\n", "fields schema and schema_file are mutually exclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := service.GlobalEnvironment()
			linter := env.NewComponentConfigLinter()
			lintFn := map[kind]func([]byte) ([]service.Lint, error){
				input: linter.LintInputYAML, output: linter.LintOutputYAML, processor: linter.LintProcessorYAML,
			}[tc.kind]
			lints, err := lintFn([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var lintMsgs []string
			for _, l := range lints {
				lintMsgs = append(lintMsgs, l.What)
			}
			lint := strings.Join(lintMsgs, "; ")

			built := construct(t, env, map[kind]string{input: "input", output: "output", processor: "processor"}[tc.kind], tc.yaml)

			if tc.want == "" {
				if lint != "" || built != "" {
					t.Errorf("clean config refused:\nlint: %s\nconstructor: %s", lint, built)
				}
				return
			}
			if !strings.Contains(lint, tc.want) {
				t.Errorf("lint says %q, want %q", lint, tc.want)
			}
			if !strings.Contains(built, tc.want) {
				t.Errorf("constructor says %q, want %q", built, tc.want)
			}
		})
	}
}
