package mock

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
	_ "github.com/ferry-connect/ferry/plugin/all"
)

// conn is what every Ferry component here is given, for a component
// whose fields are indented by indent spaces: requests at Kafka 2.1's
// versions, the newest the mock takes from franz-go (docs/testing.md says
// why), and metadata refreshed fast enough for faults.
func conn(indent int) string {
	return "target_version: \"2.1.0\"\n" + strings.Repeat(" ", indent) + "metadata_min_age: 50ms"
}

// cluster is a mock cluster with its topics, and a control for faults.
type cluster struct {
	mc    *kafka.MockCluster
	ctl   *Ctl
	seeds []string

	plainOnce sync.Once
	plainCl   *kgo.Client
}

func newCluster(t *testing.T, brokers int, topics map[string]int) *cluster {
	t.Helper()
	mc, err := kafka.NewMockCluster(brokers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mc.Close)
	for tp, n := range topics {
		if err := mc.CreateTopic(tp, n, min(3, brokers)); err != nil {
			t.Fatal(err)
		}
	}
	ctl, err := NewCtl(mc)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{mc: mc, ctl: ctl, seeds: strings.Split(mc.BootstrapServers(), ",")}
}

func (c *cluster) brokers() string { return strings.Join(c.seeds, ",") }

// plain is one client for the tests' own requests (offsets, metadata), so
// polling them does not open a client a call.
func (c *cluster) plain(t *testing.T) *kgo.Client {
	c.plainOnce.Do(func() { c.plainCl = c.client(t) })
	return c.plainCl
}

// client is a franz-go client of the mock, at Kafka 2.1's versions.
func (c *cluster) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.seeds...), kgo.MaxVersions(kversion.V2_1_0()),
		kgo.MetadataMinAge(50 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// readAll reads n records of topic from the start, within 30s.
func (c *cluster) readAll(t *testing.T, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := c.client(t, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: read %d of %d records (%v)", topic, len(out), n, fs.Errors())
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// consume runs a kafka_source config (its input block) until n messages
// came out, and returns them as "value" strings.
func consume(t *testing.T, input string, n int, limit time.Duration) []string {
	t.Helper()
	msgs := pipeline.Collect(t, input, n, limit)
	out := make([]string, len(msgs))
	for i, m := range msgs {
		v, _ := m.AsBytes()
		out[i] = string(v)
	}
	return out
}

// distinct reports how many distinct strings vs holds, and one repeated.
func distinct(vs []string) (int, string) {
	seen := map[string]bool{}
	dup := ""
	for _, v := range vs {
		if seen[v] {
			dup = v
		}
		seen[v] = true
	}
	return len(seen), dup
}
