package input_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service/integration"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	_ "github.com/ferry-connect/ferry/plugin/all"
)

// Benthos's own input/output suite with kafka_sink -> kafka_source on
// kfake: with a consumer group, without one, and with explicit partitions.
//
// The suite's $OUTPUT_META_EXCLUDE_PREFIX names metadata the output must
// not write; kafka_sink's metadata filter includes rather than excludes,
// so the template includes keys that do not start with it. The default
// ("") would exclude everything, so the test sets a prefix no key uses.
func TestIntegrationStreams(t *testing.T) {
	// One partition: the suite checks order and checkpoints across all
	// messages, which Kafka keeps within a partition.
	c := kafkatest.Cluster(t, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1),
		kfake.GroupMinSessionTimeout(100*time.Millisecond))
	brokers := kafkatest.Brokers(c)
	c0 := c

	output := `
output:
  kafka_sink:
    seed_brokers: [ ` + brokers + ` ]
    topic: topic-$ID
    metadata_min_age: 50ms
    max_in_flight: $MAX_IN_FLIGHT
    metadata:
      include_patterns: [ '^[^$OUTPUT_META_EXCLUDE_PREFIX]' ]
    batching:
      count: $OUTPUT_BATCH_COUNT
`
	suite := integration.StreamTests(
		integration.StreamTestOpenClose(),
		integration.StreamTestMetadata(),
		integration.StreamTestMetadataFilter(),
		integration.StreamTestSendBatch(10),
		integration.StreamTestSendBatchCount(10),
		integration.StreamTestReceiveBatchCount(10),
		integration.StreamTestStreamSequential(1000),
		integration.StreamTestStreamParallel(1000),
		integration.StreamTestStreamParallelLossy(1000),
		integration.StreamTestStreamSaturatedUnacked(200),
		integration.StreamTestCheckpointCapture(),
		integration.StreamTestStreamIsolated(500),
	)
	opts := []integration.StreamTestOptFunc{
		integration.StreamTestOptVarSet("OUTPUT_META_EXCLUDE_PREFIX", "_"),
		// The suite reads single messages where it does not set a batch
		// count itself; without a policy kafka_source hands over a whole
		// partition fetch as one batch.
		integration.StreamTestOptVarSet("INPUT_BATCH_COUNT", "1"),
		integration.StreamTestOptTimeout(2 * time.Minute),
	}

	t.Run("group", func(t *testing.T) {
		suite.Run(t, output+`
input:
  kafka_source:
    seed_brokers: [ `+brokers+` ]
    topics: [ topic-$ID ]
    consumer_group: group-$ID
    metadata_min_age: 50ms
    commit_period: 100ms
    session_timeout: 6s
    heartbeat_interval: 200ms
    fetch_max_wait: 100ms
    batching:
      count: $INPUT_BATCH_COUNT
`, opts...)
	})
	t.Run("no group", func(t *testing.T) {
		integration.StreamTests(
			integration.StreamTestOpenClose(),
			integration.StreamTestMetadata(),
			integration.StreamTestMetadataFilter(),
			integration.StreamTestSendBatch(10),
			integration.StreamTestSendBatchCount(10),
			integration.StreamTestReceiveBatchCount(10),
			integration.StreamTestStreamSequential(1000),
			integration.StreamTestStreamParallel(1000),
			integration.StreamTestStreamParallelLossy(1000),
			integration.StreamTestStreamIsolated(500),
		).Run(t, output+`
input:
  kafka_source:
    seed_brokers: [ `+brokers+` ]
    topics: [ topic-$ID ]
    metadata_min_age: 50ms
    fetch_max_wait: 100ms
    batching:
      count: $INPUT_BATCH_COUNT
`, opts...)
	})
	t.Run("explicit partitions", func(t *testing.T) {
		c := kafkatest.Cluster(t, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(4))
		brokers := kafkatest.Brokers(c)
		output := strings.ReplaceAll(output, "seed_brokers: [ "+kafkatest.Brokers(c0)+" ]", "seed_brokers: [ "+brokers+" ]")
		// Four partitions, so no ReceiveBatchCount here: its 10 messages
		// spread over the partitions, and a batch never mixes partitions.
		integration.StreamTests(
			integration.StreamTestOpenClose(),
			integration.StreamTestMetadata(),
			integration.StreamTestSendBatch(10),
			integration.StreamTestStreamSequential(1000),
			integration.StreamTestStreamParallel(1000),
		).Run(t, output+`
input:
  kafka_source:
    seed_brokers: [ `+brokers+` ]
    topics: [ topic-$ID:0-3 ]
    metadata_min_age: 50ms
    fetch_max_wait: 100ms
    batching:
      count: $INPUT_BATCH_COUNT
`, opts...)
	})
}
