package output

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service/integration"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// Benthos's own output suite against kafka_sink on kfake. Each test writes
// to the topic named by its ID; messages are keyed by their "id" field, and
// the suite reads a message back by key (the latest record wins, as in a
// compacted topic, which is what the override test expects).
func TestIntegrationOutputSuite(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(4))

	getByKey := func(ctx context.Context, testID, messageID string) (string, []string, error) {
		recs, err := kafkatest.Read(ctx, c.ListenAddrs(), "topic-"+testID)
		if err != nil {
			return "", nil, err
		}
		var last *kgo.Record // the latest record for a key wins
		for _, r := range recs {
			if string(r.Key) == messageID {
				last = r
			}
		}
		if last == nil {
			return "", nil, fmt.Errorf("no record with key %q in topic-%s", messageID, testID)
		}
		var meta []string
		for _, h := range last.Headers {
			meta = append(meta, h.Key, string(h.Value))
		}
		return string(last.Value), meta, nil
	}

	integration.StreamTests(
		integration.StreamTestOutputOnlySendSequential(20, getByKey),
		integration.StreamTestOutputOnlySendBatch(20, getByKey),
		integration.StreamTestOutputOnlyOverride(getByKey),
	).Run(t, `
output:
  kafka_sink:
    seed_brokers: [ `+kafkatest.Brokers(c)+` ]
    topic: topic-$ID
    key_field: id
    metadata:
      include_prefixes: [ "$OUTPUT_META_EXCLUDE_PREFIX" ]
    metadata_min_age: 50ms
`,
		integration.StreamTestOptVarSet("OUTPUT_META_EXCLUDE_PREFIX", "id"),
		integration.StreamTestOptTimeout(time.Minute),
	)
}
