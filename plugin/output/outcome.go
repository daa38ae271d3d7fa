package output

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/accounting"
)

// finish gives each record its one outcome (delivered, dead-lettered or
// nacked), counts the outcomes and failures, and builds what the host
// sees: nil when nothing is nacked, else a batch error naming only the
// nacked records, so the host retries just them and fallback, switch and
// reject_errored see exactly them.
func (s *sink) finish(ctx context.Context, cl *kgo.Client, batch service.MessageBatch, recs []record) error {
	var (
		nacked, dead int
		unreachable  = true
		first        error
	)
	dead = s.failures(recs, func(i int, r *record) {
		nacked++
		unreachable = unreachable && r.class.Unreachable
		r.err = r.describe(i, len(batch), "")
		if first == nil {
			first = r.err
		}
	})
	s.ledger.Outcome(accounting.Delivered, len(batch)-nacked-dead)
	s.ledger.Outcome(accounting.DeadLettered, dead)
	s.ledger.Outcome(accounting.Nacked, nacked)
	if nacked == 0 {
		return nil
	}

	// Nothing got through and every failure says the cluster is out of
	// reach: confirm with a ping, then let the host reconnect before it
	// retries, rather than spinning through record timeouts.
	if nacked == len(batch) && unreachable {
		if err := s.conf.conn.Ping(ctx, cl); err != nil {
			s.log.Warnf("%s: %d records not delivered, cluster unreachable: %v", Name, nacked, err)
			return service.ErrNotConnected
		}
	}

	s.log.Debugf("%s: %d of %d records failed; returning only those to the pipeline", Name, nacked, len(batch))
	be := service.NewBatchError(batch, fmt.Errorf("%d of %d records failed, first: %w", nacked, len(batch), first))
	for i := range recs {
		if recs[i].err != nil && !recs[i].dead {
			be = be.Failed(i, recs[i].err)
		}
	}
	return be
}

// failures counts each failed record among the ledger's errors and
// returns how many were dead-lettered; nack is called with each of the
// others, in order.
func (s *sink) failures(recs []record, nack func(i int, r *record)) (dead int) {
	for i := range recs {
		r := &recs[i]
		if r.err == nil {
			continue
		}
		s.ledger.Error(r.class.Stage, r.class.Reason)
		if r.dead {
			dead++
			continue
		}
		nack(i, r)
	}
	return dead
}

// describe is r's error as the pipeline sees it: which record of the
// batch, its topic and the stage that failed, then why (and, after it,
// what that means for the batch, if anything).
func (r *record) describe(i, n int, then string) error {
	return fmt.Errorf("record %d of %d (topic %q): %s: %w%s", i, n, r.rec.Topic, r.class.Stage, r.err, then)
}
