//go:build !race

package input_test

import (
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service/integration"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// This test runs without the race detector (make test runs it in a
// separate pass): Benthos v4.80.0's StreamTestAtLeastOnceDelivery ranges
// over its expectedMessages map in a sender goroutine while the test body
// deletes from it, a race in the suite itself that -race reports whenever
// delivery is quick.
//
// The test acks some of A..E, nacks C and E, restarts the input and
// expects exactly C and E again. Offsets are committed per partition in
// order, so that holds when no acked message sits after C or E in the same
// partition: key by content, on a topic where A..E hash to five different
// partitions.
func TestIntegrationAtLeastOnce(t *testing.T) {
	opts := []integration.StreamTestOptFunc{integration.StreamTestOptTimeout(2 * time.Minute)}
	parts := int32(5)
	for ; ; parts++ {
		seen := map[int32]bool{}
		for _, k := range []string{"A", "B", "C", "D", "E"} {
			seen[kafkatest.JavaPartition([]byte(k), parts)] = true
		}
		if len(seen) == 5 {
			break
		}
	}
	c := kafkatest.Cluster(t, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(int(parts)))
	b := kafkatest.Brokers(c)
	integration.StreamTests(integration.StreamTestAtLeastOnceDelivery()).Run(t, `
output:
  kafka_sink:
    seed_brokers: [ `+b+` ]
    topic: topic-$ID
    key: '${! content() }'
    metadata_min_age: 50ms
input:
  kafka_source:
    seed_brokers: [ `+b+` ]
    topics: [ topic-$ID ]
    consumer_group: group-$ID
    metadata_min_age: 50ms
    commit_period: 100ms
    heartbeat_interval: 200ms
    fetch_max_wait: 100ms
`, opts...)
}
