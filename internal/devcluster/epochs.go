package devcluster

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EpochFix corrects kfake's answer to OffsetForLeaderEpoch after a leader
// move with no write since.
//
// The defect, from kfake's handler: asked for the end of epoch E, kfake
// looks for the first record batch written in an epoch after E. Moving a
// leader bumps the partition's epoch without writing a batch, so a
// partition whose leader moved since its last write has none, and kfake
// answers "unknown" (epoch -1, offset -1). A consumer validating its
// position after the move (KIP-320) reads that as truncation: franz-go
// logs lost records and rewinds the partition to its start, and everything
// is read again. A real broker records where each epoch began and answers
// with the log end. TestEpochFix reproduces it.
//
// kfake keeps one log per partition whichever broker leads it, so a leader
// move never truncates anything. The fix lets kfake answer (errors such as
// NOT_LEADER or FENCED_LEADER_EPOCH stay its own) and replaces an
// "unknown" answer for an epoch older than the current one with what a
// real broker says: that epoch, ending at the log end.
type EpochFix struct {
	cl *kgo.Client
}

// fixMarker is the replica ID the fix asks kfake with, so that its
// control lets its own requests through. kfake refuses replica IDs of 0
// and above; consumers send -1 (franz-go) or -2 (the protocol's default).
const fixMarker = -1000

// StartEpochFix installs the fix on c.
func StartEpochFix(c *kfake.Cluster) (*EpochFix, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		return nil, err
	}
	f := &EpochFix{cl: cl}
	c.ControlKey(int16(kmsg.OffsetForLeaderEpoch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		r := req.(*kmsg.OffsetForLeaderEpochRequest)
		if r.ReplicaID == fixMarker {
			return nil, nil, false
		}
		node := c.CurrentNode()
		var (
			resp kmsg.Response
			err  error
		)
		// Asking kfake takes a round trip through the cluster's own
		// goroutine: sleeping lets it serve the question meanwhile.
		c.SleepControl(func() { resp, err = f.answer(node, r) })
		if err != nil {
			return nil, nil, false // kfake answers, as without the fix
		}
		return resp, nil, true
	})
	return f, nil
}

// answer asks broker node what kfake says to req and corrects it.
func (f *EpochFix) answer(node int32, req *kmsg.OffsetForLeaderEpochRequest) (kmsg.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ask := *req
	ask.ReplicaID = fixMarker
	br := f.cl.Broker(int(node))
	resp, err := ask.RequestWith(ctx, br)
	if err != nil {
		return nil, err
	}
	asked := map[string]map[int32]int32{} // topic → partition → epoch asked for
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			if asked[t.Topic] == nil {
				asked[t.Topic] = map[int32]int32{}
			}
			asked[t.Topic][p.Partition] = p.LeaderEpoch
		}
	}
	// The partitions to correct, and their log ends.
	lo := kmsg.NewPtrListOffsetsRequest()
	lo.ReplicaID = -1
	type at struct{ t, p int }
	var fix []at
	for ti, t := range resp.Topics {
		var lt *kmsg.ListOffsetsRequestTopic
		for pi, p := range t.Partitions {
			if p.ErrorCode != 0 || p.EndOffset != -1 || p.LeaderEpoch != -1 {
				continue
			}
			if e, ok := asked[t.Topic][p.Partition]; !ok || e < 0 {
				continue
			}
			if lt == nil {
				lo.Topics = append(lo.Topics, kmsg.ListOffsetsRequestTopic{Topic: t.Topic})
				lt = &lo.Topics[len(lo.Topics)-1]
			}
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Partition = p.Partition
			lp.Timestamp = -1 // the log end
			lt.Partitions = append(lt.Partitions, lp)
			fix = append(fix, at{ti, pi})
		}
	}
	if len(fix) == 0 {
		return resp, nil
	}
	ends, err := lo.RequestWith(ctx, br)
	if err != nil {
		return nil, err
	}
	end := map[string]map[int32]int64{}
	for _, t := range ends.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				continue
			}
			if end[t.Topic] == nil {
				end[t.Topic] = map[int32]int64{}
			}
			end[t.Topic][p.Partition] = p.Offset
		}
	}
	for _, a := range fix {
		t := &resp.Topics[a.t]
		p := &t.Partitions[a.p]
		if e, ok := end[t.Topic][p.Partition]; ok {
			p.LeaderEpoch = asked[t.Topic][p.Partition]
			p.EndOffset = e
		}
	}
	return resp, nil
}

// Close stops the fix's client. kfake keeps the control: close the fix
// with the cluster.
func (f *EpochFix) Close() { f.cl.Close() }
