package devcluster_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/devcluster"
)

// After a leader move with no write since, kfake says it does not know
// where the previous epoch ended (epoch -1, offset -1), which a consumer
// takes for truncation; with the fix, the answer is a real broker's: the
// epoch asked for, ending at the log end.
func TestEpochFix(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		name := "kfake as is"
		if fixed {
			name = "fixed"
		}
		t.Run(name, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(1, "t"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if fixed {
				f, err := devcluster.StartEpochFix(c)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx := context.Background()
			for range 10 {
				if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("v")}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			c.ShufflePartitionLeaders() // epoch 0 → 1, nothing written since

			req := kmsg.NewPtrOffsetForLeaderEpochRequest()
			req.ReplicaID = -1 // a consumer, as franz-go asks
			rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
			rt.Topic = "t"
			rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
			rp.Partition = 0
			rp.CurrentLeaderEpoch = -1
			rp.LeaderEpoch = 0
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp, err := req.RequestWith(ctx, cl.Broker(int(c.LeaderFor("t", 0))))
			if err != nil {
				t.Fatal(err)
			}
			p := resp.Topics[0].Partitions[0]
			if p.ErrorCode != 0 {
				t.Fatalf("error code %d", p.ErrorCode)
			}
			switch {
			case !fixed && (p.LeaderEpoch != -1 || p.EndOffset != -1):
				t.Errorf("kfake answered epoch %d, end %d: the defect is gone; drop EpochFix", p.LeaderEpoch, p.EndOffset)
			case fixed && (p.LeaderEpoch != 0 || p.EndOffset != 10):
				t.Errorf("answered epoch %d, end %d, want epoch 0, end 10", p.LeaderEpoch, p.EndOffset)
			}
		})
	}
}
