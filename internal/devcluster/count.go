package devcluster

import (
	"context"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// PartitionCount is what Count read from one partition.
type PartitionCount struct {
	Partition int32
	Records   int
	NullKeys  int
	Keys      int // distinct non-null keys
}

// Count reads a topic from its start to its current end and counts the
// records per partition. It consumes every record rather than subtracting
// offsets, so what it reports is what a consumer sees.
func Count(ctx context.Context, brokers []string, topic string, opts ...kgo.Opt) ([]PartitionCount, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %q: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("listing end offsets of %q: %w", topic, err)
	}
	counts := map[int32]*PartitionCount{}
	keys := map[int32]map[string]struct{}{}
	want := map[int32]int64{}
	offsets := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		counts[o.Partition] = &PartitionCount{Partition: o.Partition}
		keys[o.Partition] = map[string]struct{}{}
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
			offsets[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) > 0 {
		cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets})
	}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return nil, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			pc := counts[r.Partition]
			pc.Records++
			if r.Key == nil {
				pc.NullKeys++
			} else {
				keys[r.Partition][string(r.Key)] = struct{}{}
			}
			if end, ok := want[r.Partition]; ok && r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	out := make([]PartitionCount, 0, len(counts))
	for p, c := range counts {
		c.Keys = len(keys[p])
		out = append(out, *c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Partition < out[b].Partition })
	return out, nil
}
