package compat

import (
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/input"
	"github.com/ferry-connect/ferry/plugin/internal/confrules"
)

// saramaInputRules refuse what Ferry's kafka_source has no equivalent for.
var saramaInputRules = confrules.Set{Rules: []confrules.Rule{
	saramaSASLRule,
	{When: `this.consumer_group.or("") != "" && this.topics.or([]).any(t -> t.contains(":"))`, Message: `"field topics: explicit partitions with consumer_group (Sarama committed their offsets to the group without joining it) are not supported; Ferry reads explicit partitions without a group, or lets the group assign them"`},
	{When: `this.max_processing_period.or("100ms") != "100ms"`, Message: `"field max_processing_period: Sarama's wait on a slow consumer has no equivalent; Ferry pauses a partition at checkpoint_limit (only the default is accepted)"`},
	{When: `this.fetch_buffer_cap.or(256) != 256`, Message: `"field fetch_buffer_cap: Sarama's channel size has no equivalent; Ferry bounds what it holds by checkpoint_limit (only the default is accepted)"`},
}}

// saramaInputSpec is Redpanda Connect's kafka input: Sarama's fields and
// defaults.
func saramaInputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Categories("Services").
		Summary("Redpanda Connect's kafka input (Sarama's fields), run by Ferry's kafka_source.").
		Description(`
A `+"`kafka`"+` input config runs here as written. What runs is Ferry's `+"`kafka_source`"+`: an offset is committed only once it and every earlier one of its partition are acknowledged, and every record is counted. docs/migrating-from-redpanda-connect.md lists each difference.
`).
		Fields(
			service.NewStringListField("addresses").Description("Broker addresses; an item may hold several, comma-separated."),
			service.NewStringListField("topics").Description("Topics to read, or without a group `topic:partition` and `topic:from-to`; an item may hold several, comma-separated."),
			service.NewStringField("target_version").Description("Caps every request at this Kafka release's versions; empty negotiates with the broker.").Optional(),
			service.NewTLSToggledField("tls"),
			saramaSASLField(),
			service.NewStringField("consumer_group").Description("The consumer group; without one the topics are read in full.").Default(""),
			service.NewStringField("client_id").Description("The client ID.").Default("benthos").Advanced(),
			service.NewStringField("instance_id").Description("A static group member ID.").Optional().Advanced(),
			service.NewStringField("rack_id").Description("This consumer's rack, to read from a replica in it.").Default("").Advanced(),
			service.NewBoolField("start_from_oldest").Description("Start a partition with no committed offset at its oldest record; otherwise at its newest.").Default(true).Advanced(),
			service.NewIntField("checkpoint_limit").Description("The most records of a partition in the pipeline unacknowledged.").Default(1024),
			service.NewAutoRetryNacksToggleField(),
			service.NewForceTimelyNacksField(),
			service.NewDurationField("commit_period").Description("How often acknowledged offsets are committed.").Default("1s").Advanced(),
			service.NewDurationField("max_processing_period").Description("Accepted at its default only.").Default("100ms").Advanced(),
			service.NewExtractTracingSpanMappingField(),
			service.NewObjectField("group",
				service.NewDurationField("session_timeout").Description("How long the group waits for a silent member.").Default("10s"),
				service.NewDurationField("heartbeat_interval").Description("How often the member tells the group it is alive.").Default("3s"),
				service.NewDurationField("rebalance_timeout").Description("How long members have to finish a rebalance.").Default("60s"),
			).Description("Consumer group timing.").Advanced(),
			service.NewIntField("fetch_buffer_cap").Description("Accepted at its default only.").Default(256).Advanced(),
			service.NewBoolField("multi_header").Description("Each header's values as a list.").Default(false).Advanced(),
			service.NewBatchPolicyField("batching").Advanced(),
		).
		LintRule(saramaInputRules.Lint())
}

// saramaToSource translates a kafka input config into kafka_source's.
func saramaToSource(c map[string]any) map[string]any {
	g, _ := c["group"].(map[string]any)
	s := map[string]any{
		"seed_brokers":       c["addresses"],
		"topics":             c["topics"],
		"tls":                c["tls"],
		"consumer_group":     c["consumer_group"],
		"client_id":          c["client_id"],
		"rack_id":            c["rack_id"],
		"checkpoint_limit":   c["checkpoint_limit"],
		"auto_replay_nacks":  c["auto_replay_nacks"],
		"commit_period":      c["commit_period"],
		"multi_header":       c["multi_header"],
		"start_offset":       "earliest",
		"session_timeout":    g["session_timeout"],
		"heartbeat_interval": g["heartbeat_interval"],
		"rebalance_timeout":  g["rebalance_timeout"],
	}
	if oldest, _ := c["start_from_oldest"].(bool); !oldest {
		s["start_offset"] = "latest"
	}
	for _, k := range []string{"target_version", "instance_id", "timely_nacks_maximum_wait", "extract_tracing_map", "batching"} {
		if v, ok := c[k]; ok && v != "" {
			s[k] = v
		}
	}
	if sasl := saramaSASL(c); sasl != nil {
		s["sasl"] = sasl
	}
	return s
}

func newSaramaInput(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
	if err := saramaInputRules.Check(conf); err != nil {
		return nil, err
	}
	raw, err := conf.FieldAny()
	if err != nil {
		return nil, err
	}
	c, _ := raw.(map[string]any)
	src, err := reparse(input.Spec(), saramaToSource(c))
	if err != nil {
		return nil, err
	}
	return input.New(src, mgr)
}

func init() {
	if err := service.RegisterBatchInput("kafka", saramaInputSpec(), newSaramaInput); err != nil {
		panic(err)
	}
}
