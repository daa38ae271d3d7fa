package input

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkDecode is the per-record cost of turning a fetched record into
// a message with its metadata: the part of kafka_source's hot path that is
// its own rather than the host's (see docs/benchmarks.md).
func BenchmarkDecode(b *testing.B) {
	conf, err := Spec().ParseYAML("seed_brokers: [ 127.0.0.1:1 ]\ntopics: [ bench ]\nconsumer_group: g\n", nil)
	if err != nil {
		b.Fatal(err)
	}
	s, err := newSource(conf, service.MockResources())
	if err != nil {
		b.Fatal(err)
	}
	p := &partition{tp: tp{"bench", 3}}
	ts := time.UnixMilli(1_700_000_000_000)
	fp := kgo.FetchTopicPartition{Topic: "bench", FetchPartition: kgo.FetchPartition{Partition: 3, HighWatermark: 2_000_000}}
	for i := range 1000 {
		fp.Records = append(fp.Records, &kgo.Record{
			Topic: "bench", Partition: 3, Offset: int64(1_000_000 + i), Timestamp: ts.Add(time.Duration(i/100) * time.Millisecond),
			Key:   []byte(fmt.Sprintf("customer-%d", i%97)),
			Value: []byte(fmt.Sprintf(`{"order_id":%d,"customer_id":"customer-%d","amount":12.5,"items":3,"note":"benchmark record"}`, i, i%97)),
		})
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := fp.Records[i%len(fp.Records)]
		if _, f := s.dec.decode(ctx, p, fp.HighWatermark, r); f != nil {
			b.Fatal(f.Err)
		}
	}
}
