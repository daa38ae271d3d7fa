package input_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// produce writes records, placed by key as the Java client would.
func produce(t *testing.T, c *kfake.Cluster, recs ...*kgo.Record) {
	t.Helper()
	produceWith(t, c, nil, recs...)
}

// produceTo writes records to the partitions they name.
func produceTo(t *testing.T, c *kfake.Cluster, recs ...*kgo.Record) {
	t.Helper()
	produceWith(t, c, []kgo.Opt{kgo.RecordPartitioner(kgo.ManualPartitioner())}, recs...)
}

func produceWith(t *testing.T, c *kfake.Cluster, opts []kgo.Opt, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.ListenAddrs()...))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// got is what a test pipeline's consumer saw.
type got struct {
	mu    sync.Mutex
	msgs  []seen
	delay time.Duration // per batch, to keep a consumer busy
}

type seen struct {
	value     string
	err       string
	partition int
	offset    int
	meta      map[string]any
}

func (g *got) add(_ context.Context, b service.MessageBatch) error {
	time.Sleep(g.delay)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range b {
		v, _ := m.AsBytes()
		s := seen{value: string(v), meta: map[string]any{}}
		if err := m.GetError(); err != nil {
			s.err = err.Error()
		}
		_ = m.MetaWalkMut(func(k string, val any) error { s.meta[k] = val; return nil })
		s.partition, _ = s.meta["kafka_partition"].(int)
		s.offset, _ = s.meta["kafka_offset"].(int)
		g.msgs = append(g.msgs, s)
	}
	return nil
}

func (g *got) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.msgs)
}

func (g *got) snapshot() []seen {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]seen(nil), g.msgs...)
}

// startStream runs `input:` yaml into a consumer func until stopped.
func startStream(t *testing.T, env *service.Environment, inputYAML string, g *got) (stop func()) {
	t.Helper()
	b := service.GlobalEnvironment().NewStreamBuilder()
	if env != nil {
		b = env.NewStreamBuilder()
		if err := b.SetMetricsYAML("capture: {}"); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.AddInputYAML(inputYAML); err != nil {
		t.Fatal(err)
	}
	if err := b.AddBatchConsumerFunc(g.add); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoggerYAML("level: warn"); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Run's error would otherwise leave a test waiting for records
		// that never come (a config the constructor refuses, say).
		if err := s.Run(context.Background()); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		<-done
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	waitEvery(t, what, d, 20*time.Millisecond, cond)
}

// waitEvery is waitFor polling every period, for a cond that costs much.
func waitEvery(t *testing.T, what string, d, period time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(period)
	}
}

func brokers(c *kfake.Cluster) string { return kafkatest.Brokers(c) }

func rec(topic string, key, value string) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(value)}
}

var _ = fmt.Sprintf
