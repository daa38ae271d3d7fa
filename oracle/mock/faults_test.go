package mock

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
)

// values are the records' values as strings.
func (c *cluster) values(t *testing.T, topic string, n int) []string {
	recs := c.readAll(t, topic, n)
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

// sinkConfig writes n numbered records to topic, slowly enough that
// faults land mid-stream.
func sinkConfig(c *cluster, topic string, n int, extra string) string {
	return fmt.Sprintf(`
input:
  generate: { count: %d, interval: 2ms, batch_size: 1, mapping: 'root = counter().string()' }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    %s
    topic: %s
%s`, n, c.brokers(), conn(4), topic, extra)
}

// Faults while kafka_sink writes: the leaders of every partition move
// between the brokers, and produce requests fail with retriable errors
// (NOT_LEADER_FOR_PARTITION, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT).
// Every record lands once.
func TestMockSinkThroughLeaderMovesAndErrors(t *testing.T) {
	const n = 3000
	c := newCluster(t, 3, map[string]int{"out": 4})
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			for p := range int32(4) {
				_ = c.ctl.SetLeader("out", p, int32(1+(i+int(p))%3))
			}
			// The mock queues pushed errors until requests take them:
			// push a few at a time, not on a timer (docs/testing.md).
			if i%5 == 2 {
				c.ctl.PushErrors(int16(kmsg.Produce), kerr.NotLeaderForPartition.Code, kerr.NotEnoughReplicas.Code, kerr.RequestTimedOut.Code)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	pipeline.Run(t, sinkConfig(c, "out", n, ""), 2*time.Minute)
	stop.Store(true)
	<-done
	if d, dup := distinct(c.values(t, "out", n)); d != n {
		t.Fatalf("%d distinct records of %d (%q repeated)", d, n, dup)
	}
}

// A broker goes down while kafka_sink writes, and comes back: every
// record lands once.
func TestMockSinkThroughBrokerDownAndUp(t *testing.T) {
	const n = 3000
	c := newCluster(t, 3, map[string]int{"out": 4})
	go func() {
		time.Sleep(500 * time.Millisecond)
		_ = c.mc.SetBrokerDown(1)
		time.Sleep(2 * time.Second)
		_ = c.mc.SetBrokerUp(1)
	}()
	pipeline.Run(t, sinkConfig(c, "out", n, ""), 2*time.Minute)
	if d, dup := distinct(c.values(t, "out", n)); d != n {
		t.Fatalf("%d distinct records of %d (%q repeated)", d, n, dup)
	}
}

// Leader moves, fetches failing with retriable errors, and a broker down
// and up while kafka_source reads in a group: every record is read, none
// lost. fetch_max_wait is short because the mock holds a failed fetch's
// answer for all of it (TestMockHoldsFetchErrorsForMaxWait): at the
// default 5s, a reader never catches a leader that moves every 150ms.
func TestMockSourceThroughLeaderMovesErrorsAndBrokerDown(t *testing.T) {
	c := newCluster(t, 3, map[string]int{"in": 4})
	c.fill(t, "in", 0, 4000)
	var stop atomic.Bool
	defer stop.Store(true)
	go func() {
		for i := 0; !stop.Load(); i++ {
			for p := range int32(4) {
				_ = c.ctl.SetLeader("in", p, int32(1+(i+int(p))%3))
			}
			if i%5 == 2 {
				c.ctl.PushErrors(int16(kmsg.Fetch), kerr.NotLeaderForPartition.Code, kerr.UnknownLeaderEpoch.Code)
			}
			if i == 3 {
				_ = c.mc.SetBrokerDown(2)
			}
			if i == 10 {
				_ = c.mc.SetBrokerUp(2)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	got := consume(t, fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  %s
  topics: [ in ]
  consumer_group: g
  fetch_max_partition_bytes: 2000
  fetch_max_wait: 100ms
  session_timeout: 6s
  heartbeat_interval: 500ms
`, c.brokers(), conn(2)), 4000, time.Minute)
	if d, _ := distinct(got); d != 4000 {
		t.Fatalf("%d distinct of %d", d, len(got))
	}
}
