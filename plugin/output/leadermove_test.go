package output

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/devcluster"
	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// kafka_sink at its defaults rides through a rolling restart: 100,000
// keyed records in batches of 500 into three brokers whose partition
// leaders move every 100ms while one produce request in twenty fails with
// NOT_LEADER_FOR_PARTITION or NOT_ENOUGH_REPLICAS. Every record is in the
// topic once; with max_in_flight: 1, every key's records are in order.
// (At franz-go's default metadata_min_age of 5s the same run took about
// 50s, writes waiting out their timeouts; make bench row B7 compares the
// throughput with the same run without faults and with a raw producer.)
func TestRidesThroughLeaderMoves(t *testing.T) {
	const total = 100_000
	for _, inFlight := range []int{64, 1} {
		t.Run(fmt.Sprintf("max_in_flight %d", inFlight), func(t *testing.T) {
			c := kafkatest.Cluster(t, kfake.NumBrokers(3), kfake.SeedTopics(6, "sink"))
			chaos := devcluster.StartChaos(c, devcluster.Chaos{ShuffleLeadersEvery: 100 * time.Millisecond, ProduceFaultRate: 0.05})
			start := time.Now()
			kafkatest.RunStream(t, nil, fmt.Sprintf(`
input:
  generate:
    count: %d
    interval: ""
    batch_size: 500
    mapping: |
      let n = counter() - 1
      root = $n.string()
      meta k = "k%%d".format($n %% 100)
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: sink
    key: '${! @k }'
    max_in_flight: %d
logger:
  level: error
`, total, kafkatest.Brokers(c), inFlight), 3*time.Minute)
			took := time.Since(start)
			faults, shuffles := chaos.Stop()
			if shuffles < 2 {
				t.Errorf("the leaders moved %d times during the run: it did not test leader moves", shuffles)
			}
			seen := map[string]int{}
			last := map[string]int{}
			outOfOrder := 0
			for _, r := range kafkatest.ReadAll(t, c, "sink") {
				seen[string(r.Value)]++
				n, _ := strconv.Atoi(string(r.Value))
				if prev, ok := last[string(r.Key)]; ok && n < prev {
					outOfOrder++
				}
				last[string(r.Key)] = n
			}
			if lost, dups := lostAndDuplicates(seen, total); lost != 0 || dups != 0 {
				t.Errorf("%d lost, %d duplicates", lost, dups)
			}
			if inFlight == 1 && outOfOrder != 0 {
				t.Errorf("%d records out of their key's order with max_in_flight: 1", outOfOrder)
			}
			t.Logf("%d records through %d injected faults and %d leader shuffles in %v; %d records after a later one of their key (max_in_flight %d)", total, faults, shuffles, took.Round(10*time.Millisecond), outOfOrder, inFlight)
		})
	}
}

// A cluster that answers, slowly, keeps its client: produce requests held
// longer than twice the sink's timeout (a write's timeout, then one grace
// for records already sent) used to make the sink close its
// client with records in flight, which nacked records the broker then
// wrote, and the host wrote them again. Now the sink waits further graces
// while the cluster answers a ping, and nothing is written twice.
func TestSlowClusterKeepsClient(t *testing.T) {
	const total = 1_000
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "sink"))
	// Every other produce request, of the first eight, is held 2.5s: past
	// the 1s timeout and its first 1s grace, inside the graces a ping
	// buys. One write at a time, and never two held requests in a row:
	// kfake answers a connection's requests in turn, so a request queued
	// behind another's 2.5s would reach the last grace (at 5s) by timing
	// rather than by design, the more so on a loaded machine.
	var n, held atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if i := n.Add(1); i <= 8 && i%2 == 1 {
			held.Add(1)
			c.SleepControl(func() { time.Sleep(2500 * time.Millisecond) })
		}
		return nil, nil, false
	})
	var logs logCapture
	b := service.NewStreamBuilder()
	b.SetLogger(slog.New(&logs))
	if err := b.SetYAML(fmt.Sprintf(`
input:
  generate:
    count: %d
    interval: ""
    batch_size: 500
    mapping: root = (counter() - 1).string()
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: sink
    timeout: 1s
    max_in_flight: 1
`, total, kafkatest.Brokers(c))); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range kafkatest.ReadAll(t, c, "sink") {
		seen[string(r.Value)]++
	}
	if lost, dups := lostAndDuplicates(seen, total); lost != 0 || dups != 0 {
		t.Errorf("%d lost, %d duplicates", lost, dups)
	}
	if held.Load() == 0 {
		t.Errorf("no produce request was held: the test tested nothing")
	}
	if n := logs.count("reconnecting"); n != 0 {
		t.Errorf("the sink rebuilt its client %d times for a cluster that answered", n)
	}
}

// logCapture is a slog handler that keeps the messages it is given.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCapture) WithGroup(string) slog.Handler            { return l }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}

func (l *logCapture) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// lostAndDuplicates counts, of the values 0 to total-1 (as text), those
// seen never and the extra copies of those seen more than once.
func lostAndDuplicates(seen map[string]int, total int) (lost, dups int) {
	for i := range total {
		switch k := seen[strconv.Itoa(i)]; {
		case k == 0:
			lost++
		case k > 1:
			dups += k - 1
		}
	}
	return lost, dups
}
