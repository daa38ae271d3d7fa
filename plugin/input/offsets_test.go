package input

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestOffsets(t *testing.T) {
	type step struct {
		read    []int64 // offsets read again before done (the client rewound)
		done    []int64
		want    int64 // the commit point after the step; -1: none
		epoch   int32
		pending int
	}
	for _, tc := range []struct {
		name  string
		read  []int64 // offsets read, at epoch 1 unless above 100 (epoch 2)
		steps []step
	}{
		{"in order", []int64{0, 1, 2}, []step{
			{done: []int64{0}, want: 1, epoch: 1, pending: 2},
			{done: []int64{1, 2}, want: 3, epoch: 1, pending: 0},
		}},
		{"a later record first holds the commit back", []int64{0, 1, 2}, []step{
			{done: []int64{2}, want: -1, pending: 3},
			{done: []int64{1}, want: -1, pending: 3},
			{done: []int64{0}, want: 3, epoch: 1, pending: 0},
		}},
		{"gaps (compaction, transaction markers)", []int64{5, 9, 10, 14}, []step{
			{done: []int64{5, 10}, want: 6, epoch: 1, pending: 3},
			{done: []int64{9}, want: 11, epoch: 1, pending: 1},
			{done: []int64{14}, want: 15, epoch: 1, pending: 0},
		}},
		{"offsets not read are ignored", []int64{3, 4}, []step{
			{done: []int64{1, 2, 7}, want: -1, pending: 2},
			{done: []int64{3}, want: 4, epoch: 1, pending: 1},
		}},
		{"done twice counts once", []int64{0, 1}, []step{
			{done: []int64{0}, want: 1, epoch: 1, pending: 1},
			{done: []int64{0}, want: -1, pending: 1},
			{done: []int64{1, 1}, want: 2, epoch: 1, pending: 0},
		}},
		{"the epoch is the last done record's", []int64{99, 100, 101}, []step{
			{done: []int64{99, 100}, want: 101, epoch: 1, pending: 1},
			{done: []int64{101}, want: 102, epoch: 2, pending: 0},
		}},
		{"a rewind re-reads records still in flight", []int64{10, 11, 12}, []step{
			{done: []int64{10}, want: 11, epoch: 1, pending: 2},
			// The client resets to 5 (it detected truncation, or its
			// offset fell out of range): 5..12 come again while 11 and 12
			// are still in the pipeline. The commit follows the client
			// back; it passes an offset once a copy of it is done, and
			// is held where a copy of an earlier one is not.
			{read: []int64{5, 6, 7, 8, 9, 10, 11, 12}, done: []int64{5, 6}, want: 7, epoch: 1, pending: 8},
			{done: []int64{7, 8, 9, 10, 11}, want: 12, epoch: 1, pending: 3},
			{done: []int64{12}, want: -1, pending: 3},
			{done: []int64{11}, want: 13, epoch: 1, pending: 1},
			{done: []int64{12}, want: 13, epoch: 1, pending: 0},
		}},
		{"nothing read", nil, []step{
			{done: []int64{0}, want: -1, pending: 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o offsets
			o.read(toRecs(tc.read))
			for i, s := range tc.steps {
				o.read(toRecs(s.read))
				at, ok := o.done(s.done)
				switch {
				case s.want < 0 && ok:
					t.Errorf("step %d: commit point %+v, want none", i, at)
				case s.want >= 0 && (!ok || at.Offset != s.want || at.Epoch != s.epoch):
					t.Errorf("step %d: commit point %+v (ok %v), want offset %d epoch %d", i, at, ok, s.want, s.epoch)
				}
				if got := o.pending(); got != s.pending {
					t.Errorf("step %d: %d pending, want %d", i, got, s.pending)
				}
			}
		})
	}
}

// toRecs makes records at offs, at epoch 1 up to offset 100 and epoch 2
// above.
func toRecs(offs []int64) []*kgo.Record {
	var recs []*kgo.Record
	for _, off := range offs {
		epoch := int32(1)
		if off > 100 {
			epoch = 2
		}
		recs = append(recs, &kgo.Record{Offset: off, LeaderEpoch: epoch})
	}
	return recs
}
