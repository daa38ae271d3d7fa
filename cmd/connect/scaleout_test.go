package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

// instance is one `connect run` process of the scale-out test, with its
// metrics served on port.
type instance struct {
	*member
	name string
	port int
}

func startInstance(t *testing.T, c *kfake.Cluster, name, protocol string) *instance {
	t.Helper()
	port := freePort(t)
	conf := writeConfig(t, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ in ]
    consumer_group: scale
    group_protocol: %[2]s
    session_timeout: 2s
    heartbeat_interval: 200ms
    rebalance_timeout: 5s
    commit_period: 250ms
    lag_refresh_period: 200ms
    metadata_min_age: 50ms
    fetch_max_wait: 250ms
    fetch_max_partition_bytes: 800
pipeline:
  processors:
    - sleep: { duration: 1ms } # per message: a pipeline slower than the broker, so events land mid-stream
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: out
    key: '${! @kafka_key }'
    metadata_min_age: 50ms
http:
  address: 127.0.0.1:%[3]d
metrics:
  prometheus: {}
logger:
  level: ${SCALE_LOG_LEVEL:warn}
`, kafkatest.Brokers(c), protocol, port))
	return &instance{member: startMember(t, conf), name: name, port: port}
}

// metric sums the samples of a metric in the instance's /metrics.
func (in *instance) metric(name string) (float64, bool) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", in.port))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + name + `(\{[^}]*\})? (\S+)$`)
	sum, found := 0.0, false
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			sum += v
			found = true
		}
	}
	return sum, found
}

// progress samples how many records the output holds, so the stall each
// membership change causes can be measured.
type progress struct {
	mu      sync.Mutex
	samples []sample
}

type sample struct {
	at    time.Time
	n     int64
	parts map[int32]int64 // per partition: the output is keyed as the input, so partition p of out grows as p of in is read
}

func (p *progress) run(ctx context.Context, adm *kadm.Client) {
	for ctx.Err() == nil {
		s := sample{at: time.Now(), parts: map[int32]int64{}}
		if ends, err := adm.ListEndOffsets(ctx, "out"); err == nil {
			ends.Each(func(o kadm.ListedOffset) { s.n += o.Offset; s.parts[o.Partition] = o.Offset })
		}
		p.mu.Lock()
		p.samples = append(p.samples, s)
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *progress) last() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.samples) == 0 {
		return 0
	}
	return p.samples[len(p.samples)-1].n
}

// stall measures, in the window after from, the longest time the whole
// output did not grow, and the longest time one partition with records
// left to read did not: how long the group, and the partitions that moved,
// stopped for a rebalance.
func (p *progress) stall(from time.Time, window time.Duration, remaining func(part int32, at int64) bool) (group, partition time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	longest := func(value func(sample) (int64, bool)) time.Duration {
		var worst time.Duration
		since, prev := from, int64(-1)
		for _, s := range p.samples {
			v, live := value(s)
			if s.at.Before(from) {
				prev = v
				continue
			}
			if s.at.After(from.Add(window)) {
				break
			}
			if v != prev || !live {
				since, prev = s.at, v
				continue
			}
			worst = max(worst, s.at.Sub(since))
		}
		return worst
	}
	group = longest(func(s sample) (int64, bool) { return s.n, true })
	for part := range int32(12) {
		d := longest(func(s sample) (int64, bool) { return s.parts[part], remaining(part, s.parts[part]) })
		partition = max(partition, d)
	}
	return group, partition
}

// Four `connect run` processes share a 12-partition topic in one group:
// three start, a fourth joins mid-stream, one is SIGKILLed and one stops
// with SIGTERM. Every record is delivered at least once; duplicates come
// only from the killed member's window after its last commit; every
// instance shows its partitions and the group's lag in its metrics; the
// stall each change causes is measured. It runs with both group
// protocols.
func TestScaleOut(t *testing.T) {
	for _, protocol := range []string{"classic", "consumer"} {
		t.Run(protocol, func(t *testing.T) { scaleOut(t, protocol) })
	}
}

func scaleOut(t *testing.T, protocol string) {
	const total = 60_000
	c := kafkatest.Cluster(t, kfake.SeedTopics(12, "in", "out"), kfake.GroupMinSessionTimeout(100*time.Millisecond),
		kfake.BrokerConfigs(map[string]string{
			"group.consumer.session.timeout.ms":    "2000", // KIP-848: the broker's
			"group.consumer.heartbeat.interval.ms": "200",
		}))
	produceN(t, c, "in", total, func(i int) string { return "rec-" + strconv.Itoa(i) })
	adm := kadm.NewClient(kafkatest.Client(t, c))
	var prog progress
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go prog.run(ctx, adm)
	reached := func(frac float64) func() bool {
		return func() bool { return prog.last() >= int64(frac*total) }
	}
	events := map[string]time.Time{}

	a, b, cc := startInstance(t, c, "a", protocol), startInstance(t, c, "b", protocol), startInstance(t, c, "c", protocol)
	waitUntil(t, "15% of the output", time.Minute, reached(0.15))
	events["a fourth instance joins"] = time.Now()
	d := startInstance(t, c, "d", protocol)
	waitUntil(t, "d to be assigned partitions", 30*time.Second, func() bool { n, _ := d.metric("kafka_source_partitions"); return n > 0 })
	all := []*instance{a, b, cc, d}
	for _, in := range all {
		parts, _ := in.metric("kafka_source_partitions")
		_, lagOK := in.metric("kafka_source_lag")
		t.Logf("%s: %v partitions assigned; kafka_source_lag reported: %v", in.name, parts, lagOK)
		if parts == 0 || !lagOK {
			t.Errorf("%s: kafka_source_partitions %v, kafka_source_lag reported %v", in.name, parts, lagOK)
		}
	}
	waitUntil(t, "35% of the output", time.Minute, reached(0.35))

	events["one instance is killed"] = time.Now()
	b.signal(syscall.SIGKILL)
	committedAtKill := map[int32]int64{}
	if offs, err := adm.FetchOffsets(context.Background(), "scale"); err == nil {
		offs.Each(func(o kadm.OffsetResponse) { committedAtKill[o.Partition] = o.At })
	}
	waitUntil(t, "55% of the output", time.Minute, reached(0.55))
	events["one instance stops (SIGTERM)"] = time.Now()
	cc.signal(syscall.SIGTERM)
	deadline := time.Now().Add(2 * time.Minute)
	for !committedAll(adm, "scale") {
		if time.Now().After(deadline) {
			lag, err := adm.Lag(context.Background(), "scale")
			groups, _ := adm.DescribeGroups(context.Background(), "scale")
			t.Fatalf("the group did not commit every record: lag %+v %v; group %+v; output %d", lag["scale"].Lag, err, groups["scale"], prog.last())
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.signal(syscall.SIGTERM)
	d.signal(syscall.SIGTERM)

	where := map[string]kgo.Record{}
	for _, r := range kafkatest.ReadAll(t, c, "in") {
		where[string(r.Value)] = *r
	}
	seen := map[string]int{}
	for _, r := range kafkatest.ReadAll(t, c, "out") {
		seen[string(r.Value)]++
	}
	lost, dups := 0, 0
	for v, r := range where {
		switch n := seen[v]; {
		case n == 0:
			lost++
		case n > 1:
			dups += n - 1
			if at, ok := committedAtKill[r.Partition]; ok && r.Offset < at {
				t.Errorf("%s (partition %d offset %d) was written twice, though the group had committed partition %d to %d before the kill", v, r.Partition, r.Offset, r.Partition, at)
			}
		}
	}
	if lost != 0 {
		t.Errorf("%d records lost", lost)
	}
	names := make([]string, 0, len(events))
	for e := range events {
		names = append(names, e)
	}
	sort.Slice(names, func(i, j int) bool { return events[names[i]].Before(events[names[j]]) })
	ends := map[int32]int64{}
	for _, r := range where {
		ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
	}
	remaining := func(part int32, at int64) bool { return at < ends[part] }
	var report []string
	for i, e := range names {
		window := 10 * time.Second // after the last event; else until the next
		if i+1 < len(names) {
			window = events[names[i+1]].Sub(events[e])
		}
		g, p := prog.stall(events[e], window, remaining)
		report = append(report, fmt.Sprintf("%s: the group's output stalled %v, a partition's at most %v", e, g.Round(10*time.Millisecond), p.Round(10*time.Millisecond)))
	}
	t.Logf("%s protocol: %d records, %d duplicates (all after the killed member's last commit); %s", protocol, total, dups, strings.Join(report, "; "))
	if os.Getenv("SCALE_LOG_LEVEL") != "" {
		for _, in := range all {
			t.Logf("%s:\n%s", in.name, in.log.String())
		}
	}
}

// config/examples/scale_out.yaml, run as docs/scaling.md runs it: two
// static members share six partitions, three each; one is stopped and,
// 4s later, started again under the same INSTANCE (a rolling deploy of a
// StatefulSet). Its partitions wait for it rather than move to the other,
// which keeps its own three throughout: no rebalance. Every record is
// copied once.
func TestScaleOutExample(t *testing.T) {
	const total = 6000
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "orders", "orders-copy"))
	example := filepath.Join("..", "..", "config", "examples", "scale_out.yaml")
	start := func(name string) *instance {
		port := freePort(t)
		m := startMemberEnv(t, example, []string{
			"KAFKA_BROKERS=" + kafkatest.Brokers(c),
			"INSTANCE=" + name,
			"SESSION_TIMEOUT=10s",
			fmt.Sprintf("HTTP_ADDRESS=127.0.0.1:%d", port),
		})
		return &instance{member: m, name: name, port: port}
	}
	partitions := func(in *instance) float64 { n, _ := in.metric("kafka_source_partitions"); return n }
	rebalances := func(in *instance) float64 { n, _ := in.metric("kafka_source_rebalances"); return n }
	adm := kadm.NewClient(kafkatest.Client(t, c))

	produceN(t, c, "orders", total/2, func(i int) string { return "order-" + strconv.Itoa(i) })
	a, b := start("copier-a"), start("copier-b")
	waitUntil(t, "three partitions each", 30*time.Second, func() bool { return partitions(a) == 3 && partitions(b) == 3 })
	waitUntil(t, "the first half copied", 30*time.Second, func() bool { return endOffsets(t, adm, "orders-copy") == total/2 })

	// A rebalance would revoke or assign partitions of b's, or at least
	// make b join again; a static member's return makes none.
	bBefore := rebalances(b)
	a.signal(syscall.SIGTERM)
	if code := a.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("a stopped with exit code %d", code)
	}
	// A pod being rescheduled takes a while: past b's next heartbeat
	// (heartbeat_interval, 3s), inside the session timeout (10s here).
	// A dynamic member's partitions would have gone to b by then; a
	// static member's wait for it.
	time.Sleep(4 * time.Second)
	if n := partitions(b); n != 3 {
		t.Errorf("b holds %v partitions while a is away; a static member's stay reserved", n)
	}
	a = start("copier-a")
	waitUntil(t, "a's partitions back", 30*time.Second, func() bool { return partitions(a) == 3 })
	produceN(t, c, "orders", total/2, func(i int) string { return "order-" + strconv.Itoa(total/2+i) })
	waitUntil(t, "everything copied", 30*time.Second, func() bool { return endOffsets(t, adm, "orders-copy") >= total })
	if after := rebalances(b); after != bBefore {
		t.Errorf("b's partitions moved while a restarted as the same static member: kafka_source_rebalances %v, then %v", bBefore, after)
	}
	a.signal(syscall.SIGTERM)
	b.signal(syscall.SIGTERM)

	seen := map[string]int{}
	for _, r := range kafkatest.ReadAll(t, c, "orders-copy") {
		seen[string(r.Value)]++
	}
	lost, dups := 0, 0
	for i := range total {
		switch n := seen["order-"+strconv.Itoa(i)]; {
		case n == 0:
			lost++
		case n > 1:
			dups += n - 1
		}
	}
	if lost != 0 || dups != 0 {
		t.Errorf("%d lost, %d duplicates", lost, dups)
	}
}
