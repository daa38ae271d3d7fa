package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// eosPipeline is kafka_source → mapping → kafka_sink, exactly-once when
// txn is set (the sink commits the source's offsets in its transactions)
// and at-least-once otherwise, as one member (instance) of group eos.
func eosPipeline(t *testing.T, c *kfake.Cluster, instance string, txn bool) string {
	t.Helper()
	sinkTxn := ""
	if txn {
		sinkTxn = fmt.Sprintf(`
    transaction:
      enabled: true
      id: eos-%s
      commit_source: orders_in
      timeout: 5s`, instance)
	}
	return writeConfig(t, fmt.Sprintf(`
input:
  label: orders_in
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ in ]
    consumer_group: eos
    instance_id: %[2]s
    session_timeout: 2s
    heartbeat_interval: 100ms
    rebalance_timeout: 5s
    commit_period: 500ms
    metadata_min_age: 50ms
    fetch_max_partition_bytes: 4000
pipeline:
  processors:
    - mapping: 'root = content().string() + "-out"'
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: out
    key: '${! @kafka_key }'
    metadata_min_age: 50ms%[3]s
http:
  enabled: false
logger:
  level: warn
`, kafkatest.Brokers(c), instance, sinkTxn))
}

// member is one running pipeline process.
type member struct {
	t   *testing.T
	cmd *exec.Cmd
}

func startMember(t *testing.T, conf string) *member {
	t.Helper()
	cmd := exec.Command(bin, "run", conf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &member{t: t, cmd: cmd}
	t.Cleanup(func() { m.signal(syscall.SIGKILL) })
	return m
}

func (m *member) signal(sig syscall.Signal) {
	if m.cmd.ProcessState != nil {
		return
	}
	_ = m.cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		_ = m.cmd.Wait()
	}
}

// endOffsets sums a topic's end offsets: a cheap measure of how much has
// been written (transaction markers included).
func endOffsets(t *testing.T, adm *kadm.Client, topic string) int64 {
	t.Helper()
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		return 0
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// groupDone reports whether group eos has committed every record of in.
func groupDone(adm *kadm.Client) bool {
	lag, err := adm.Lag(context.Background(), "eos")
	if err != nil {
		return false
	}
	l, ok := lag["eos"]
	if !ok || l.FetchErr != nil || l.DescribeErr != nil {
		return false
	}
	total, parts := int64(0), 0
	for _, ps := range l.Lag {
		for _, pl := range ps {
			if pl.Err != nil || pl.Commit.At < 0 {
				return false
			}
			total += pl.Lag
			parts++
		}
	}
	return parts > 0 && total == 0
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// committedOutput reads out as a read_committed consumer does and returns
// how often each input record's output appears.
func committedOutput(t *testing.T, c *kfake.Cluster) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, r := range kafkatest.ReadAll(t, c, "out", kgo.FetchIsolationLevel(kgo.ReadCommitted())) {
		seen[string(r.Value)]++
	}
	return seen
}

// lostAndDuplicated compares the output with the n input records.
func lostAndDuplicated(seen map[string]int, n int) (lost, dups int) {
	for i := range n {
		switch k := seen["rec-"+strconv.Itoa(i)+"-out"]; {
		case k == 0:
			lost++
		case k > 1:
			dups += k - 1
		}
	}
	return lost, dups
}

func produceInput(t *testing.T, c *kfake.Cluster, n int) {
	t.Helper()
	produceN(t, c, "in", n, func(i int) string { return "rec-" + strconv.Itoa(i) })
}

// A pipeline process SIGKILLed three times while it writes, and started
// again each time: a read_committed reader of the output sees every input
// record exactly once. The same run at-least-once (no transaction) writes
// duplicates, so the test can tell the two apart.
func TestExactlyOnceSurvivesCrashes(t *testing.T) {
	const total = 200_000
	for _, txn := range []bool{true, false} {
		name := map[bool]string{true: "exactly-once", false: "at-least-once"}[txn]
		t.Run(name, func(t *testing.T) {
			c := kafkatest.Cluster(t, kfake.SeedTopics(6, "in", "out"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
			produceInput(t, c, total)
			adm := kadm.NewClient(kafkatest.Client(t, c))
			conf := eosPipeline(t, c, "crash-1", txn)
			start := time.Now()
			for kill := 1; kill <= 3; kill++ {
				m := startMember(t, conf)
				base := endOffsets(t, adm, "out")
				waitUntil(t, "the pipeline to write", 60*time.Second, func() bool {
					return endOffsets(t, adm, "out") >= base+int64(total/6)
				})
				m.signal(syscall.SIGKILL)
			}
			m := startMember(t, conf)
			waitUntil(t, "the group to commit every input record", 3*time.Minute, func() bool { return groupDone(adm) })
			m.signal(syscall.SIGTERM)
			lost, dups := lostAndDuplicated(committedOutput(t, c), total)
			t.Logf("%s: %d records, 3 SIGKILLs, %v: %d lost, %d duplicates", name, total, time.Since(start).Round(time.Second), lost, dups)
			if lost != 0 {
				t.Errorf("%d records lost", lost)
			}
			switch {
			case txn && dups != 0:
				t.Errorf("%d duplicates with transactions", dups)
			case !txn && dups == 0:
				t.Errorf("no duplicates at-least-once: the crashes did not land between a write and its commit, so this test cannot tell")
			}
		})
	}
}
