package input

import (
	"context"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// batchOf makes a ready batch of p's records at offs, tracked as read.
func batchOf(f *flow, p *partition, offs ...int64) ready {
	recs := make([]*kgo.Record, len(offs))
	msgs := make(service.MessageBatch, len(offs))
	for i, o := range offs {
		recs[i] = &kgo.Record{Offset: o}
		msgs[i] = service.NewMessage(nil)
	}
	f.read(p, recs)
	return ready{p: p, msgs: msgs, offs: offs}
}

func drain(f *flow) []ready {
	var out []ready
	for {
		r, ok := f.next()
		if !ok {
			return out
		}
		out = append(out, r)
	}
}

// Batches go to the pipeline while their partition stays within the
// limit; an ack makes room, releases what fits, wakes the reader and
// moves the commit point.
func TestFlowHoldsAtTheLimit(t *testing.T) {
	f := newFlow(4, false)
	p := f.partition("t", 0, 0)
	a, b, c := batchOf(f, p, 0, 1, 2), batchOf(f, p, 3, 4), batchOf(f, p, 5)
	f.hold(p, a, b, c)
	if got := drain(f); len(got) != 1 || got[0].offs[0] != 0 {
		t.Fatalf("released %d batches, want the first alone (3 of 4 records, the next would pass the limit)", len(got))
	}
	var marks []kgo.EpochOffset
	mark := func(_ tp, at kgo.EpochOffset) { marks = append(marks, at) }
	f.ack(a, mark)
	select {
	case <-f.wake:
	default:
		t.Error("the ack released batches without waking the reader")
	}
	if got := drain(f); len(got) != 2 {
		t.Fatalf("after the ack, %d batches released, want 2 (3 records)", len(got))
	}
	f.ack(c, mark) // out of order: the commit point waits for b
	f.ack(b, mark)
	if len(marks) != 2 || marks[0].Offset != 3 || marks[1].Offset != 6 {
		t.Errorf("commit points %v, want 3 then 6", marks)
	}
}

// A batch larger than the limit goes alone rather than never.
func TestFlowOversizeBatchGoesAlone(t *testing.T) {
	f := newFlow(2, false)
	p := f.partition("t", 0, 0)
	f.hold(p, batchOf(f, p, 0, 1, 2, 3, 4))
	if got := drain(f); len(got) != 1 {
		t.Fatalf("%d batches released, want 1", len(got))
	}
}

// A partition revoked from the group: its queued and held batches are
// dropped, later acks of its batches mark nothing, and the reader is told
// to retire its batcher.
func TestFlowForgetsRevokedPartitions(t *testing.T) {
	f := newFlow(1, true)
	if f.partition("t", 0, 0) != nil {
		t.Fatal("a group member read a partition it was not assigned")
	}
	f.assign(map[string][]int32{"t": {0, 1}})
	p0, p1 := f.partition("t", 0, 0), f.partition("t", 1, 0)
	out := batchOf(f, p0, 0)
	f.hold(p0, out, batchOf(f, p0, 1))
	f.hold(p1, batchOf(f, p1, 0))
	if r, _ := f.next(); r.p != p0 {
		t.Fatal("first batch is not partition 0's")
	}
	f.forget(map[string][]int32{"t": {0}})
	if got := drain(f); len(got) != 1 || got[0].p != p1 {
		t.Fatalf("after the revoke, the queue holds %d batches, want partition 1's alone", len(got))
	}
	f.ack(out, func(tp, kgo.EpochOffset) { t.Error("a revoked partition was marked for commit") })
	if gone := f.takeRetired(); len(gone) != 1 || gone[0] != p0 {
		t.Errorf("retired %v, want partition 0", gone)
	}
	if f.partition("t", 0, 0) != nil {
		t.Error("a revoked partition is still read")
	}
	if f.pollBudget() != 2 {
		t.Errorf("poll budget %d, want 2 (two limits for the one partition left)", f.pollBudget())
	}
}

// A poll registered with the flow is cancelled when an ack releases
// batches, and is not started when batches are already waiting.
func TestFlowCancelsPoll(t *testing.T) {
	f := newFlow(1, false)
	p := f.partition("t", 0, 0)
	a := batchOf(f, p, 0)
	f.hold(p, a, batchOf(f, p, 1))
	drain(f)
	ctx, cancel := context.WithCancel(context.Background())
	if !f.startPoll(cancel) {
		t.Fatal("poll refused with nothing queued")
	}
	f.ack(a, func(tp, kgo.EpochOffset) {})
	if ctx.Err() == nil {
		t.Error("the poll was not cancelled by a release")
	}
	f.endPoll()
	if f.startPoll(func() {}) {
		t.Error("poll started with a batch queued")
	}
}

// A rewind forgets every partition (acks of batches handed out before it
// are ignored), hands out nothing until it ends, and seeks each partition
// back to its last commit, or, for one not yet read, to the first record
// the client gave meanwhile (the client has moved past it).
func TestFlowRewind(t *testing.T) {
	f := newFlow(10, true)
	f.serialize()
	f.assign(map[string][]int32{"t": {0, 1, 2}})
	p0, p1 := f.partition("t", 0, 0), f.partition("t", 1, 0)
	a := batchOf(f, p0, 10, 11)
	f.hold(p0, a, batchOf(f, p0, 12))
	if got := drain(f); len(got) != 1 {
		t.Fatalf("serial: %d batches of one partition handed out at once, want 1", len(got))
	}
	f.ack(a, func(tp, kgo.EpochOffset) {})
	f.committed(map[string]map[int32]kgo.EpochOffset{"t": {0: {Epoch: 3, Offset: 12}}})
	b := drainOne(t, f)

	r := f.requestRewind(func() {})
	if f.partition("t", 0, 13) != nil {
		t.Error("a partition is read while a rewind is pending")
	}
	f.read(p1, []*kgo.Record{{Offset: 40}}) // taken by the reader before the rewind began
	f.ack(b, func(tp, kgo.EpochOffset) { t.Error("an ack from before the rewind moved a commit point") })
	if f.handed != 0 {
		t.Fatalf("%d batches still out", f.handed)
	}
	seek := f.restartRewound(r)
	if len(seek["t"]) != 2 || seek["t"][0].Offset != 12 || seek["t"][1].Offset != 40 {
		t.Errorf("seek %v, want partition 0 to its commit (12) and 1 to its first record read (40); 2 was never read", seek)
	}
	if _, ok := f.next(); ok {
		t.Error("a batch was handed out before the rewind ended")
	}
	f.endRewind()
	np := f.partition("t", 0, 12)
	if np == nil || np == p0 || !np.commits.started || np.commits.committed.Offset != 12 {
		t.Fatalf("partition 0 after the rewind: %+v", np)
	}
}

func drainOne(t *testing.T, f *flow) ready {
	t.Helper()
	r, ok := f.next()
	if !ok {
		t.Fatal("nothing to hand out")
	}
	return r
}
