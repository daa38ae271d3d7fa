package devcluster

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Scan reads topic from its start to its end as of the call and hands
// each record to each, in offset order within a partition. It consumes
// every record rather than subtracting offsets, so what callers see is
// what a consumer sees. It returns the topic's partitions, empty ones
// included. opts are extra client options (e.g. kgo.FetchIsolationLevel).
func Scan(ctx context.Context, brokers []string, topic string, each func(*kgo.Record), opts ...kgo.Opt) ([]int32, error) {
	// Control records (transaction markers) are kept so that the last
	// offset of a partition that ends in one is seen, read_committed or
	// not; they are not handed to each.
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.KeepControlRecords()}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %q: %w", topic, err)
	}
	var parts []int32
	want := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		parts = append(parts, o.Partition)
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
			start[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) > 0 {
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: start})
	}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w (still waiting for %v)", topic, err, want)
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) { ferr = fmt.Errorf("reading %s/%d: %w", topic, p, err) })
		if ferr != nil {
			return nil, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := want[r.Partition]; ok {
				if !r.Attrs.IsControl() {
					each(r)
				}
				if r.Offset+1 >= end {
					delete(want, r.Partition)
				}
			}
		})
	}
	return parts, nil
}
