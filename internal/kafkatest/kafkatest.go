// Package kafkatest holds test helpers shared by Ferry's packages: an
// in-process kfake cluster, reading a topic back, running a pipeline to
// completion, and capturing metrics. It is imported by tests only.
package kafkatest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/devcluster"
)

// Cluster starts an in-process kfake broker closed with the test, with
// connect dev's workarounds for kfake's defects (devcluster.Mend).
func Cluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	mended, err := devcluster.Mend(c)
	if err != nil {
		c.Close()
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(func() { mended(); c.Close() })
	return c
}

// Client is a plain client of the cluster, closed with the test.
func Client(t testing.TB, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Brokers is the cluster's addresses as a seed_brokers value.
func Brokers(c *kfake.Cluster) string { return strings.Join(c.ListenAddrs(), ",") }

// ReadAll consumes topic from start to its current end and returns every
// record in partition then offset order.
func ReadAll(t testing.TB, c *kfake.Cluster, topic string, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs, err := Read(ctx, c.ListenAddrs(), topic, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Read is ReadAll for callers without a testing.TB.
func Read(ctx context.Context, brokers []string, topic string, opts ...kgo.Opt) ([]*kgo.Record, error) {
	byPart := map[int32][]*kgo.Record{}
	parts, err := devcluster.Scan(ctx, brokers, topic, func(r *kgo.Record) {
		byPart[r.Partition] = append(byPart[r.Partition], r)
	}, opts...)
	if err != nil {
		return nil, err
	}
	slices.Sort(parts)
	var out []*kgo.Record
	for _, p := range parts {
		out = append(out, byPart[p]...)
	}
	return out, nil
}

// RunStream builds the pipeline from yaml in env (nil: the global
// environment) and runs it until its input ends, failing the test after
// timeout.
func RunStream(t testing.TB, env *service.Environment, yaml string, timeout time.Duration) {
	t.Helper()
	s := build(t, env, yaml)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// RunUntil builds the pipeline from yaml in env and runs it until done
// reports true (a pipeline whose input never ends, such as kafka_source),
// then stops it. It fails the test, naming what and showing metrics,
// if done is not true within timeout.
func RunUntil(t testing.TB, env *service.Environment, metrics *Metrics, yaml, what string, timeout time.Duration, done func() bool) {
	t.Helper()
	s := build(t, env, yaml)
	go func() { _ = s.Run(context.Background()) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	}
	deadline := time.Now().Add(timeout)
	for !done() {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("%s did not happen in %v\n%s", what, timeout, metrics.Dump("kafka_"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
}

// build makes the stream yaml describes in env (nil: the global
// environment), failing the test on a bad config.
func build(t testing.TB, env *service.Environment, yaml string) *service.Stream {
	t.Helper()
	if env == nil {
		env = service.GlobalEnvironment()
	}
	b := env.NewStreamBuilder()
	if err := b.SetYAML(yaml); err != nil {
		t.Fatalf("config: %v", err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return s
}
