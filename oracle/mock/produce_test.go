package mock

import (
	"fmt"
	"testing"
	"time"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
)

// kafka_sink writes keyed records to a three-broker mock cluster, each on
// the partition the Java client chooses for its key (murmur2).
func TestMockKeyedProduce(t *testing.T) {
	const n = 20_000
	c := newCluster(t, 3, map[string]int{"keyed": 6})
	pipeline.Run(t, fmt.Sprintf(`
input:
  generate: { count: %d, interval: "", batch_size: 500, mapping: 'root = {"k": "k%%d".format(counter() %% 1000), "n": counter()}' }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    %s
    topic: keyed
    key_field: k
`, n, c.brokers(), conn(4)), time.Minute)
	recs := c.readAll(t, "keyed", n)
	for _, r := range recs {
		if want := kafkatest.JavaPartition(r.Key, 6); r.Partition != want {
			t.Fatalf("key %s on partition %d, the Java client's is %d", r.Key, r.Partition, want)
		}
	}
	vals := make([]string, len(recs))
	for i, r := range recs {
		vals[i] = string(r.Value)
	}
	if d, dup := distinct(vals); d != n || len(recs) != n {
		t.Fatalf("%d records, %d distinct (%s repeated)", len(recs), d, dup)
	}
}
