// Package kafkatest holds test helpers shared by Ferry's packages: an
// in-process kfake cluster, reading a topic back, running a pipeline to
// completion, and capturing metrics. It is imported by tests only.
package kafkatest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Cluster starts an in-process kfake broker closed with the test.
func Cluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
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
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
			start[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	byPart := map[int32][]*kgo.Record{}
	if len(want) > 0 {
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: start})
	}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("reading %s: %w (still waiting for %v)", topic, ctx.Err(), want)
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) { ferr = fmt.Errorf("reading %s/%d: %w", topic, p, err) })
		if ferr != nil {
			return nil, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok {
				byPart[r.Partition] = append(byPart[r.Partition], r)
				if r.Offset+1 >= end {
					delete(want, r.Partition)
				}
			}
		})
	}
	var out []*kgo.Record
	for p := int32(0); len(byPart) > 0; p++ {
		out = append(out, byPart[p]...)
		delete(byPart, p)
	}
	return out, nil
}

// RunStream builds the pipeline from yaml in env (nil: the global
// environment) and runs it until its input ends, failing the test after
// timeout.
func RunStream(t testing.TB, env *service.Environment, yaml string, timeout time.Duration) {
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
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}
}
