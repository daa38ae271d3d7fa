package mock

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kafka_source → kafka_sink with a transaction that commits the source's
// offsets: a read_committed reader of the copy sees every record once.
// (What the group's offsets read afterwards is not checked here:
// docs/testing.md says why.)
func TestMockExactlyOnceCopy(t *testing.T) {
	const n = 2000
	c := newCluster(t, 3, map[string]int{"in": 4, "out": 4})
	c.fill(t, "in", 0, n)
	b := fmt.Sprintf(`
input:
  label: src
  kafka_source:
    seed_brokers: [ %[1]s ]
    %[2]s
    topics: [ in ]
    consumer_group: eos
    transaction_isolation_level: read_committed
    session_timeout: 6s
    heartbeat_interval: 500ms
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    %[3]s
    topic: out
    transaction: { enabled: true, commit_source: src }
`, c.brokers(), conn(4), conn(4))
	done := make(chan struct{})
	go func() {
		defer close(done)
		recs := c.readAll(t, "out", n, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		vals := make([]string, len(recs))
		for i, r := range recs {
			vals[i] = string(r.Value)
		}
		if d, dup := distinct(vals); d != n || len(vals) != n {
			t.Errorf("read_committed: %d records, %d distinct (%q repeated)", len(vals), d, dup)
		}
	}()
	runUntil(t, b, done, time.Minute)
}
