package devcluster

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
)

// PartitionCount is what Count read from one partition.
type PartitionCount struct {
	Partition int32
	Records   int
	NullKeys  int
	Keys      int // distinct non-null keys
}

// Count reads a topic from its start to its current end (Scan) and counts
// the records per partition.
func Count(ctx context.Context, brokers []string, topic string, opts ...kgo.Opt) ([]PartitionCount, error) {
	counts := map[int32]*PartitionCount{}
	keys := map[int32]map[string]struct{}{}
	count := func(p int32) *PartitionCount {
		if counts[p] == nil {
			counts[p], keys[p] = &PartitionCount{Partition: p}, map[string]struct{}{}
		}
		return counts[p]
	}
	parts, err := Scan(ctx, brokers, topic, func(r *kgo.Record) {
		pc := count(r.Partition)
		pc.Records++
		if r.Key == nil {
			pc.NullKeys++
		} else {
			keys[r.Partition][string(r.Key)] = struct{}{}
		}
	}, opts...)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		count(p)
	}
	out := make([]PartitionCount, 0, len(counts))
	for p, c := range counts {
		c.Keys = len(keys[p])
		out = append(out, *c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Partition < out[b].Partition })
	return out, nil
}
