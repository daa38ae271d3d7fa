package output

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produce sends every ready record and waits for all of them; a record
// the broker refused is failed with the broker's error. Each promise
// writes only its own record, so no lock is needed, and waiting for every
// promise orders those writes before the caller reads them.
//
// The context fails every record that can be failed safely once it ends.
// An idempotent producer never fails a record it sent without an answer
// (doing so could reorder or duplicate it), so such records can outlive
// the context. produce waits for them grace past the context's end, and
// as long again while answering says the cluster answers (a rolling
// restart moving leaders is slow, not gone: rebuilding the client would
// throw away its idempotent sequence for nothing), up to maxGraces times.
// If they are still unresolved it closes the client, which fails them, and
// returns false.
func produce(ctx context.Context, cl *kgo.Client, recs []record, grace time.Duration, answering func() bool) bool {
	// The last promise to finish closes done. Counting down from the
	// number of records, set before the first is produced, spares a
	// goroutine per write: a write of one record is common (an unbatched
	// input) and a goroutine costs more than the record.
	var left atomic.Int64
	for i := range recs {
		if recs[i].ready {
			left.Add(1)
		}
	}
	if left.Load() == 0 {
		return true
	}
	done := make(chan struct{})
	for i := range recs {
		r := &recs[i]
		if !r.ready {
			continue
		}
		cl.Produce(ctx, &r.rec, func(_ *kgo.Record, err error) {
			if err != nil {
				r.fail(err)
			}
			if left.Add(-1) == 0 {
				close(done)
			}
		})
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for graces := 1; ; graces++ {
		select {
		case <-done:
			return true
		case <-timer.C:
		}
		if graces >= maxGraces || !answering() {
			cl.Close()
			<-done
			return false
		}
		timer.Reset(grace)
	}
}

// maxGraces bounds how many graces produce waits for a cluster that
// answers but does not resolve the records it holds.
const maxGraces = 4

// isolateTooLarge gives every record refused as MESSAGE_TOO_LARGE a second
// chance alone. A broker's message.max.bytes applies to the whole record
// batch the client sent, so one large record fails every record that shared
// its batch, possibly from another pipeline batch. Producing each affected
// record on its own, sequentially, on a client that sends nothing else,
// leaves the error only on the records that are too large by themselves.
func (s *sink) isolateTooLarge(ctx context.Context, recs []record) {
	var idx []int
	for i := range recs {
		if recs[i].ready && errors.Is(recs[i].err, kerr.MessageTooLarge) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	s.isoMu.Lock()
	defer s.isoMu.Unlock()
	if s.iso == nil {
		iso, err := kgo.NewClient(append(s.clientOpts(), kgo.ProducerLinger(0))...)
		if err != nil {
			s.log.Errorf("%s: creating the client for one-by-one retries: %v", Name, err)
			return
		}
		s.iso = iso
	}
	for _, i := range idx {
		orig := &recs[i].rec
		// A fresh record: the client fills in a produced record's
		// partition, offset and producer fields.
		alone := &kgo.Record{
			Topic:     orig.Topic,
			Key:       orig.Key,
			Value:     orig.Value,
			Headers:   orig.Headers,
			Timestamp: orig.Timestamp,
			Partition: orig.Partition,
		}
		if err := s.iso.ProduceSync(ctx, alone).FirstErr(); err != nil {
			recs[i].fail(err)
		} else {
			recs[i].succeed()
		}
	}
}
