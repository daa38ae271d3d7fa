package mock

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
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
	pipeline.RunUntil(t, b, done, time.Minute)
}

// Records the broker refuses as too large go to the dead-letter topic;
// every other record lands; none is lost or written twice. The mock
// enforces no size limit, so the refusals are injected; kafka_sink gives
// a refused record a second chance alone (a batch is refused whole for
// one large record in it) and dead-letters it when that is refused too.
//
// With one batch in flight, two refusals make exactly one dead letter:
// the first refuses a batch, the second its record's try alone. With
// batches in flight concurrently, a refusal may go to another batch's
// first try instead, whose records then land alone: six refusals make at
// least one dead letter, and every record still lands once.
func TestMockTooLargeToDLQ(t *testing.T) {
	t.Run("one batch in flight", func(t *testing.T) {
		if dead := tooLarge(t, 2, "    max_in_flight: 1\n"); dead != 1 {
			t.Fatalf("%d dead letters from 2 refusals, want 1", dead)
		}
	})
	t.Run("batches in flight", func(t *testing.T) {
		if dead := tooLarge(t, 6, ""); dead == 0 {
			t.Fatal("no record was dead-lettered")
		}
	})
}

// tooLarge writes 200 records while refusals produce requests are refused
// MESSAGE_TOO_LARGE, checks that every record landed once in the topic or
// the dead-letter topic, and returns how many were dead-lettered.
func tooLarge(t *testing.T, refusals int, extra string) int {
	const n = 200
	c := newCluster(t, 1, map[string]int{"out": 1, "dlq": 1})
	go func() {
		time.Sleep(150 * time.Millisecond)
		codes := make([]int16, refusals)
		for i := range codes {
			codes[i] = kerr.MessageTooLarge.Code
		}
		c.ctl.PushErrors(int16(kmsg.Produce), codes...)
	}()
	pipeline.Run(t, sinkConfig(c, "out", n, extra+"    dlq: { topic: dlq }\n"), time.Minute)
	dead := c.readAll(t, "dlq", int(c.endOffset(t, "dlq")))
	for _, r := range dead {
		reason := ""
		for _, h := range r.Headers {
			if h.Key == "__connect.errors.exception.message" {
				reason = string(h.Value)
			}
		}
		if !strings.Contains(reason, "MESSAGE_TOO_LARGE") {
			t.Fatalf("dead letter %s: exception message %q", r.Value, reason)
		}
	}
	all := c.values(t, "out", int(c.endOffset(t, "out")))
	for _, r := range dead {
		all = append(all, string(r.Value))
	}
	if d, dup := distinct(all); d != n || len(all) != n {
		t.Fatalf("%d records and %d dead letters: %d distinct of %d (%q twice)", len(all)-len(dead), len(dead), d, n, dup)
	}
	return len(dead)
}
