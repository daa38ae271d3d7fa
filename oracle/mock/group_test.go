package mock

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// member is one kafka_source in a group, run in process, throttled so a
// test can act while it reads; it keeps the values it read.
type member struct {
	mu   sync.Mutex
	got  []string
	stop func()
}

func startMember(t *testing.T, input string) *member {
	t.Helper()
	m := &member{}
	b := service.NewStreamBuilder()
	_ = b.SetLoggerYAML("level: warn")
	if err := b.AddRateLimitYAML(`{ label: slow, local: { count: 250, interval: 250ms } }`); err != nil {
		t.Fatal(err)
	}
	if err := b.AddInputYAML(input); err != nil {
		t.Fatal(err)
	}
	if err := b.AddProcessorYAML(`rate_limit: { resource: slow }`); err != nil {
		t.Fatal(err)
	}
	if err := b.AddConsumerFunc(func(_ context.Context, msg *service.Message) error {
		v, _ := msg.AsBytes()
		m.mu.Lock()
		defer m.mu.Unlock()
		m.got = append(m.got, string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(context.Background()) }()
	var once sync.Once
	m.stop = func() {
		once.Do(func() {
			_ = s.StopWithin(15 * time.Second)
			<-done
		})
	}
	t.Cleanup(m.stop)
	return m
}

func (m *member) values() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.got...)
}

// Two kafka_source members share a group on the mock: the second joins
// while the first reads, the partitions are split between them, and
// between them they read every record and the group commits everything. On Kafka (and kfake) a clean handover duplicates nothing:
// the first member commits what it finished before it rejoins. The mock
// refuses that commit (TestMockRefusesCommitsWhileARebalanceIsPrepared),
// so here the second member reads those records again, and the test
// reports how many.
func TestMockGroupOfTwo(t *testing.T) {
	const n = 12000
	c := newCluster(t, 3, map[string]int{"in": 4})
	c.fill(t, "in", 0, n)
	input := fmt.Sprintf(`
kafka_source:
  seed_brokers: [ %s ]
  %s
  topics: [ in ]
  consumer_group: pair
  commit_period: 100ms
  session_timeout: 3s
  heartbeat_interval: 500ms
`, c.brokers(), conn(2))
	a := startMember(t, input)
	waitUntil(t, "the first member to read a little", time.Minute, func() bool { return len(a.values()) >= 1000 }, nil)
	b := startMember(t, input)
	waitUntil(t, "the two to read everything", 2*time.Minute, func() bool {
		d, _ := distinct(append(a.values(), b.values()...))
		return d == n
	}, nil)
	waitUntil(t, "the group to commit everything", 2*time.Minute, func() bool { return c.committed(t, "pair", "in", 4) == n }, nil)
	a.stop()
	b.stop()
	va, vb := a.values(), b.values()
	if len(vb) == 0 || len(va) >= n {
		t.Fatalf("the first member read %d, the second %d: the partitions were not split", len(va), len(vb))
	}
	if d, _ := distinct(append(va, vb...)); d != n {
		t.Fatalf("%d distinct records read of %d", d, n)
	}
	t.Logf("the first member read %d, the second %d: %d read twice", len(va), len(vb), len(va)+len(vb)-n)
}
