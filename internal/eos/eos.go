// Package eos links a transactional kafka_sink to the kafka_source whose
// offsets it commits inside its transactions: exactly-once from Kafka to
// Kafka in one pipeline (consume, transform, produce; KIP-447).
//
// The source registers itself under its label; the sink looks it up by
// the label its `transaction.commit_source` names and attaches. From then
// on the source commits nothing itself: the sink's transactions carry its
// offsets, and the source tells the sink when partitions move.
package eos

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Membership is what a transactional offset commit must carry so that a
// member that lost its partitions is fenced (KIP-447).
type Membership struct {
	Group      string
	MemberID   string
	Generation int32
	InstanceID *string
}

// Offsets are commit points by topic and partition: the next offset to
// read, with the leader epoch of the record before it.
type Offsets = map[string]map[int32]kgo.EpochOffset

// Source is a kafka_source as the sink committing its offsets sees it.
type Source interface {
	// Attach makes c the source's committer: the source stops
	// committing its own offsets and calls c when partitions move. It
	// also hands out at most one batch of a partition at a time, so a
	// transaction never holds a batch whose predecessor is still on its
	// way. It fails if the source is not in a consumer group or already
	// has a committer.
	Attach(c Committer) error
	// Detach undoes Attach.
	Detach(c Committer)
	// Group names the source's consumer group and its static instance
	// ID ("" when it has none), for the sink's default transactional ID.
	Group() (group, instanceID string)
	// Membership is the source's current place in its group.
	Membership() (Membership, error)
	// Offsets are the commit points that moved since the last Committed:
	// for each partition, one past the last of the records the pipeline
	// has finished with, in order.
	Offsets() Offsets
	// Positions are the current commit points (moved or not), by topic
	// and partition: how far the pipeline has finished.
	Positions() map[string]map[int32]int64
	// Committed says a transaction holding these commit points
	// committed: they are where a rewind goes back to.
	Committed(Offsets)
	// Rewind makes the source read again from its last committed
	// offsets, after a transaction aborted. It forgets what it has read
	// since, waits until every batch it handed out has come back (the
	// sink drops them meanwhile: their records were in the aborted
	// transaction), and seeks back. Then it calls resume, in which the
	// sink begins its next transaction and stops dropping writes, and
	// only after that hands out batches again.
	Rewind(ctx context.Context, resume func()) error
}

// Committer is the transactional sink, as its source calls it.
type Committer interface {
	// CommitNow commits the open transaction with the source's offsets,
	// before the source gives up partitions in a rebalance.
	CommitNow(ctx context.Context) error
	// AbortNow aborts the open transaction and has the source rewound,
	// because partitions were lost (another member may already own
	// them). It does not wait for the rewind.
	AbortNow()
}

var (
	mu      sync.Mutex
	sources = map[string]Source{}
)

// Register makes s findable under label, until the returned func is
// called. Two sources under one label in one process (streams mode can
// do that) make the label ambiguous: Lookup then refuses it.
func Register(label string, s Source) (unregister func()) {
	mu.Lock()
	defer mu.Unlock()
	if _, taken := sources[label]; taken {
		sources[label] = nil // ambiguous
	} else {
		sources[label] = s
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if sources[label] == s || sources[label] == nil {
			delete(sources, label)
		}
	}
}

// Lookup finds the kafka_source labelled label.
func Lookup(label string) (Source, error) {
	mu.Lock()
	defer mu.Unlock()
	s, ok := sources[label]
	switch {
	case !ok:
		return nil, fmt.Errorf("no kafka_source labelled %q in this process", label)
	case s == nil:
		return nil, fmt.Errorf("more than one kafka_source is labelled %q in this process", label)
	}
	return s, nil
}
