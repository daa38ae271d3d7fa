package compat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"

	_ "github.com/ferry-connect/ferry/plugin/compat"
)

// ownedInput builds the input yaml describes, as the host would.
func ownedInput(t *testing.T, yaml string) *service.OwnedInput {
	t.Helper()
	conf, err := service.NewConfigSpec().Field(service.NewInputField("in")).ParseYAML("in:\n"+yaml, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := conf.FieldInput("in")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = in.Close(ctx)
	})
	return in
}

// fill puts n records of 1 KiB on partition 0 of topic.
func fill(t *testing.T, c *kfake.Cluster, topic string, n int) {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Value: append([]byte(fmt.Sprintf("%04d", i)), bytes.Repeat([]byte{'x'}, 1020)...)})
	}
	cl := kafkatest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// readWithin reads one batch, or reports that none came within d.
func readWithin(t *testing.T, in *service.OwnedInput, d time.Duration) (service.MessageBatch, service.AckFunc, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	b, ack, err := in.ReadBatch(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return b, ack, true
}

// The redpanda input processes a partition in order by default: one batch
// of it in the pipeline at a time, cut at max_yield_batch_bytes; the next
// comes only once the last is acknowledged.
func TestRedpandaInputOrdered(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "o"))
	fill(t, c, "o", 40)
	in := ownedInput(t, fmt.Sprintf("  redpanda:\n    seed_brokers: [ %s ]\n    topics: [ o ]\n    max_yield_batch_bytes: 4KiB\n", kafkatest.Brokers(c)))
	next := 0
	for next < 40 {
		b, ack, ok := readWithin(t, in, 10*time.Second)
		if !ok {
			t.Fatalf("no batch after record %d", next)
		}
		if len(b) > 4 {
			t.Fatalf("a batch of %d KiB records, over max_yield_batch_bytes 4KiB", len(b))
		}
		for _, m := range b {
			raw, _ := m.AsBytes()
			if want := fmt.Sprintf("%04d", next); string(raw[:4]) != want {
				t.Fatalf("got record %s, want %s", raw[:4], want)
			}
			next++
		}
		if next < 40 {
			if _, _, ok := readWithin(t, in, 300*time.Millisecond); ok {
				t.Fatalf("a second batch of the partition came before the first was acknowledged (after record %d)", next)
			}
		}
		if err := ack(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// With unordered_processing, up to its checkpoint_limit records of a
// partition are in flight at once.
func TestRedpandaInputUnordered(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "u"))
	fill(t, c, "u", 40)
	in := ownedInput(t, fmt.Sprintf("  redpanda:\n    seed_brokers: [ %s ]\n    topics: [ u ]\n    unordered_processing:\n      enabled: true\n      checkpoint_limit: 10\n      batching: { count: 5 }\n", kafkatest.Brokers(c)))
	held := 0
	for {
		b, _, ok := readWithin(t, in, 500*time.Millisecond)
		if !ok {
			break
		}
		if len(b) != 5 {
			t.Fatalf("a batch of %d, want 5 (unordered_processing.batching)", len(b))
		}
		held += len(b)
	}
	if held != 10 {
		t.Fatalf("%d records in flight unacknowledged, want unordered_processing.checkpoint_limit, 10", held)
	}
}
