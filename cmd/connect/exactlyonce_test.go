package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	return eosPipelineCommitting(t, c, instance, txn, 100*time.Millisecond)
}

// eosPipelineCommitting is eosPipeline with the transactions' commit
// period. EOS_LOG_LEVEL=info in the environment shows the members' commits,
// aborts and rewinds in the test's output.
func eosPipelineCommitting(t *testing.T, c *kfake.Cluster, instance string, txn bool, period time.Duration) string {
	t.Helper()
	sinkTxn := ""
	if txn {
		sinkTxn = fmt.Sprintf(`
    transaction:
      enabled: true
      id: eos-%s
      commit_source: orders_in
      commit_period: %v
      timeout: 5s`, instance, period)
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
  level: ${EOS_LOG_LEVEL:warn}
`, kafkatest.Brokers(c), instance, sinkTxn))
}

// member is one running pipeline process.
type member struct {
	t   *testing.T
	cmd *exec.Cmd
	log syncBuffer // what it logged (also copied to the test's stderr)
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startMember(t *testing.T, conf string) *member {
	t.Helper()
	return startMemberEnv(t, conf, nil)
}

// startMemberEnv is startMember with env added to the test's environment.
func startMemberEnv(t *testing.T, conf string, env []string) *member {
	t.Helper()
	cmd := exec.Command(bin, "run", conf)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	m := &member{t: t, cmd: cmd}
	out := io.MultiWriter(os.Stderr, &m.log) // Benthos logs to stdout
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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
func endOffsets(t *testing.T, adm *kadm.Client, topics ...string) int64 {
	t.Helper()
	ends, err := adm.ListEndOffsets(context.Background(), topics...)
	if err != nil {
		return 0
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// groupDone reports whether group eos has committed every record of in.
func groupDone(adm *kadm.Client) bool { return committedAll(adm, "eos") }

// committedAll reports whether group has committed every record of the
// topics it reads.
func committedAll(adm *kadm.Client, group string) bool {
	lag, err := adm.Lag(context.Background(), group)
	if err != nil {
		return false
	}
	l, ok := lag[group]
	if !ok || l.FetchErr != nil || l.DescribeErr != nil {
		return false
	}
	total, parts := int64(0), 0
	for _, ps := range l.Lag {
		for _, pl := range ps {
			empty := pl.End.Offset == pl.Start.Offset // nothing to commit
			if pl.Err != nil || pl.Commit.At < 0 && !empty {
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
	if os.Getenv("WAIT_LOG") != "" {
		start := time.Now()
		defer func() { t.Logf("waited %v for %s", time.Since(start).Round(time.Millisecond), what) }()
	}
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
			seen := committedOutput(t, c)
			lost, dups := lostAndDuplicated(seen, total)
			if txn && lost+dups > 0 {
				reportLost(t, c, seen)
				t.Logf("last run:\n%s", m.log.String())
			}
			t.Logf("%s: %d records, 3 SIGKILLs, %v: %d lost, %d duplicates", name, total, time.Since(start).Round(time.Second), lost, dups)
			if lost != 0 {
				t.Errorf("%d records lost", lost)
			}
			if txn {
				// An independent reader agrees: librdkafka's kcat, read
				// committed, sees each record once; read uncommitted, it
				// also sees what the killed instances' aborted
				// transactions held.
				committed := kcatValues(t, c, "out", "read_committed")
				klost, kdups := lostAndDuplicated(committed, total)
				if klost != 0 || kdups != 0 {
					t.Errorf("kcat read_committed: %d lost, %d duplicates", klost, kdups)
				}
				all := 0
				for _, n := range kcatValues(t, c, "out", "read_uncommitted") {
					all += n
				}
				t.Logf("kcat: %d records read_committed, %d read_uncommitted (aborted ones included)", total-klost+kdups, all)
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

// Two instances share the group; one stops (SIGTERM) mid-stream and a
// third joins: partitions move twice, and a read_committed reader still
// sees every input record exactly once.
func TestExactlyOnceThroughRebalances(t *testing.T) {
	const total = 60_000
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "in", "out"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	produceInput(t, c, total)
	adm := kadm.NewClient(kafkatest.Client(t, c))
	a := startMember(t, eosPipeline(t, c, "a", true))
	b := startMember(t, eosPipeline(t, c, "b", true))
	waitUntil(t, "a third of the output", 60*time.Second, func() bool { return endOffsets(t, adm, "out") >= total/3 })
	a.signal(syscall.SIGTERM)
	c3 := startMember(t, eosPipeline(t, c, "c", true))
	waitUntil(t, "the group to commit every input record", 3*time.Minute, func() bool { return groupDone(adm) })
	b.signal(syscall.SIGTERM)
	c3.signal(syscall.SIGTERM)
	seen := committedOutput(t, c)
	lost, dups := lostAndDuplicated(seen, total)
	if lost != 0 || dups != 0 {
		t.Errorf("%d lost, %d duplicates", lost, dups)
		reportLost(t, c, seen)
		t.Logf("A:\n%s\nB:\n%s\nC:\n%s", a.log.String(), b.log.String(), c3.log.String())
	}
}

// A zombie: one of two instances is paused (SIGSTOP) past its session
// timeout, so the group gives its partitions to the other, and then
// resumed. Its transaction is fenced (its offset commit carries a
// generation the group has left behind, KIP-447): nothing it wrote while
// it was out of the group becomes visible, and no record is duplicated.
func TestExactlyOnceFencesAZombie(t *testing.T) {
	const total = 60_000
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "in", "out"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	produceInput(t, c, total)
	adm := kadm.NewClient(kafkatest.Client(t, c))
	// a commits rarely, so it has records in an open transaction when it
	// is paused.
	a := startMember(t, eosPipelineCommitting(t, c, "a", true, 3*time.Second))
	b := startMember(t, eosPipeline(t, c, "b", true))
	members := func() []string {
		groups, err := adm.DescribeGroups(context.Background(), "eos")
		if err != nil || groups["eos"].State != "Stable" {
			return nil
		}
		var ids []string
		for _, m := range groups["eos"].Members {
			if m.InstanceID != nil {
				ids = append(ids, *m.InstanceID)
			}
		}
		sort.Strings(ids)
		return ids
	}
	waitUntil(t, "a and b to share the group", 30*time.Second, func() bool { return strings.Join(members(), ",") == "a,b" })
	waitUntil(t, "a sixth of the output", 60*time.Second, func() bool { return endOffsets(t, adm, "out") >= total/6 })
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "b to own every partition", 30*time.Second, func() bool { return strings.Join(members(), ",") == "b" })
	time.Sleep(time.Second) // b writes and commits while a is out of the group
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the group to commit every input record", 3*time.Minute, func() bool { return groupDone(adm) })
	a.signal(syscall.SIGTERM)
	b.signal(syscall.SIGTERM)
	seen := committedOutput(t, c)
	lost, dups := lostAndDuplicated(seen, total)
	if lost != 0 || dups != 0 {
		t.Errorf("%d lost, %d duplicates", lost, dups)
		reportLost(t, c, seen)
		t.Logf("A:\n%s\nB:\n%s", a.log.String(), b.log.String())
	}
	if !strings.Contains(a.log.String(), "aborting the transaction") {
		t.Errorf("the zombie did not abort the transaction it had open when it was paused:\n%s", a.log.String())
	}
}

// The exactly-once example, run as a user runs it: every order is in
// orders-enriched once for a read_committed reader, and the group has
// committed every order.
func TestExactlyOnceExample(t *testing.T) {
	const total = 5000
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "orders", "orders-enriched"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	produceN(t, c, "orders", total, func(i int) string {
		return fmt.Sprintf(`{"order_id":"o-%d","customer_id":"cust-%03d","amount_cents":%d}`, i, i%50, (i*7919)%100000)
	})
	adm := kadm.NewClient(kafkatest.Client(t, c))
	cmd := exec.Command(bin, "run", "../../config/examples/exactly_once.yaml")
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+kafkatest.Brokers(c))
	m := &member{t: t, cmd: cmd}
	out := io.MultiWriter(os.Stderr, &m.log)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.signal(syscall.SIGKILL) })
	waitUntil(t, "the group to commit every order", 60*time.Second, func() bool { return committedAll(adm, "orders-enricher-eos") })
	m.signal(syscall.SIGTERM)
	ids := map[string]int{}
	for _, r := range kafkatest.ReadAll(t, c, "orders-enriched", kgo.FetchIsolationLevel(kgo.ReadCommitted())) {
		var o struct {
			OrderID   string `json:"order_id"`
			AmountEUR *int   `json:"amount_eur"`
		}
		if err := json.Unmarshal(r.Value, &o); err != nil || o.AmountEUR == nil {
			t.Fatalf("record %s: %v", r.Value, err)
		}
		ids[o.OrderID]++
	}
	if len(ids) != total {
		t.Errorf("%d distinct orders enriched, want %d", len(ids), total)
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("order %s enriched %d times", id, n)
		}
	}
	if !strings.Contains(m.log.String(), "kafka_sink summary: received=5000 delivered=5000") {
		t.Errorf("no summary line accounting for every order:\n%s", m.log.String())
	}
}

// kcatValues reads topic to its end with librdkafka's kcat at the given
// isolation level and counts each value.
func kcatValues(t *testing.T, c *kfake.Cluster, topic, isolation string) map[string]int {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat is needed to read the output as librdkafka does: apt-get install kcat (.ci/run installs it)")
	}
	cmd := exec.Command(kcat, "-C", "-b", kafkatest.Brokers(c), "-t", topic, "-e", "-q", "-f", "%s\n", "-X", "isolation.level="+isolation)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	seen := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l != "" {
			seen[l]++
		}
	}
	return seen
}

// reportLost logs, per input partition, the offset ranges whose output a
// read_committed reader does not see: where to look in the logs.
func reportLost(t *testing.T, c *kfake.Cluster, seen map[string]int) {
	in := kafkatest.ReadAll(t, c, "in")
	byPart := map[int32][]int64{}
	for _, r := range in {
		if seen[string(r.Value)+"-out"] == 0 {
			byPart[r.Partition] = append(byPart[r.Partition], r.Offset)
		}
	}
	for p, offs := range byPart {
		sort.Slice(offs, func(a, b int) bool { return offs[a] < offs[b] })
		var ranges []string
		start, prev := offs[0], offs[0]
		for _, o := range offs[1:] {
			if o != prev+1 {
				ranges = append(ranges, itoa(start)+"-"+itoa(prev))
				start = o
			}
			prev = o
		}
		ranges = append(ranges, itoa(start)+"-"+itoa(prev))
		t.Logf("partition %d lost offsets %s", p, strings.Join(ranges, ","))
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
