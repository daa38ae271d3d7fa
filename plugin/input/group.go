package input

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupMetrics are the metrics of a member of a consumer group.
type groupMetrics struct {
	commits    *service.MetricCounter // kafka_source_commits{outcome}
	lag        *service.MetricGauge   // kafka_source_lag{topic,partition}
	partitions *service.MetricGauge   // kafka_source_partitions: assigned to this member
	rebalances *service.MetricCounter // kafka_source_rebalances{event}: assigned, revoked, lost
}

func newGroupMetrics(m *service.Metrics) groupMetrics {
	return groupMetrics{
		commits:    m.NewCounter(Name+"_commits", "outcome"),
		lag:        m.NewGauge(Name+"_lag", "topic", "partition"),
		partitions: m.NewGauge(Name + "_partitions"),
		rebalances: m.NewCounter(Name+"_rebalances", "event"),
	}
}

// groupOpts hook the source into the group: partitions assigned,
// revoked and lost, and the outcome of every commit.
//
// Commits follow acks: the client commits the offsets marked (mark) every
// commit_period, a member commits what is marked before a partition is
// revoked, and on close. A lost partition commits nothing.
func (s *source) groupOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.OnPartitionsAssigned(func(_ context.Context, cl *kgo.Client, assigned map[string][]int32) {
			s.countRebalance("assigned", assigned)
			s.flow.assign(assigned)
			s.group.partitions.Set(int64(s.flow.assigned()))
			// A partition this member stopped (on_deserialize_error:
			// fail) and lost, assigned to it again, starts afresh from
			// the committed offset: the client must not keep it paused.
			cl.ResumeFetchPartitions(assigned)
		}),
		kgo.OnPartitionsRevoked(s.revoked),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			// Another member may already own them: commit nothing. A
			// transaction holding records of theirs must not commit
			// either.
			s.countRebalance("lost", lost)
			if c := s.attached(); c != nil {
				c.AbortNow()
			}
			s.flow.forget(lost)
			s.group.partitions.Set(int64(s.flow.assigned()))
		}),
		kgo.AutoCommitCallback(func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			s.countCommit(commitErr(resp, err))
		}),
	}
}

// revoked hands partitions over cleanly: nothing more of theirs goes to
// the pipeline, their batches still in it are waited for (up to two
// thirds of rebalance_timeout), then the partitions are forgotten (no
// later ack marks them) and what is marked is committed. The next owner
// starts where they were finished with, so a rebalance duplicates nothing;
// only batches that outlast the wait are read again by the next owner.
// kgo guarantees that once it returns, no poll returns records of the
// revoked partitions.
func (s *source) revoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	s.countRebalance("revoked", revoked)
	defer func() { s.group.partitions.Set(int64(s.flow.assigned())) }()
	if s.transactional.Load() {
		if c := s.attached(); c != nil && !s.closing.Load() {
			s.revokedEOS(c, revoked)
		}
		s.flow.forget(revoked)
		return
	}
	s.flow.quiesce(revoked)
	wait := s.conf.rebalanceTimeout * 2 / 3
	if s.closing.Load() {
		wait = 0 // leaving on close: Close committed what was finished
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	if err := s.flow.awaitIdle(wctx, revoked); err != nil && wait > 0 {
		s.log.Warnf("%s: records of revoked partitions are still in the pipeline after %v; their next owner reads them again", Name, s.conf.rebalanceTimeout*2/3)
	}
	cancel()
	s.flow.forget(revoked)
	s.countCommit(cl.CommitMarkedOffsets(ctx))
}

// mark records a partition's new commit point, for the next commit.
// flow calls it under its lock, only for a partition still assigned.
// Without a group nothing is committed; with a transactional sink
// attached, its transactions commit the points flow keeps.
func (s *source) mark(p tp, at kgo.EpochOffset) {
	if s.conf.group == "" || s.transactional.Load() {
		return
	}
	if cl := s.client.Load(); cl != nil {
		cl.MarkCommitOffsets(map[string]map[int32]kgo.EpochOffset{p.topic: {p.part: at}})
	}
}

// commitErr is a commit's outcome: the request's error, else the first
// partition the broker refused. A commit answered with per-partition
// errors stored nothing for those partitions; counting it ok would hide
// a lag that never shrinks.
func commitErr(resp *kmsg.OffsetCommitResponse, err error) error {
	if err != nil || resp == nil {
		return err
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, err)
			}
		}
	}
	return nil
}

func (s *source) countCommit(err error) {
	if err != nil {
		s.group.commits.Incr(1, "failed")
		s.log.Warnf("%s: committing offsets: %v", Name, err)
		return
	}
	s.group.commits.Incr(1, "ok")
}

// countRebalance counts a change to this member's partitions: a member
// whose count grows with no member joining or leaving is being moved
// around, and a static member's restart should count nothing on the
// others.
func (s *source) countRebalance(event string, parts map[string][]int32) {
	for _, ps := range parts {
		if len(ps) > 0 {
			s.group.rebalances.Incr(1, event)
			return
		}
	}
}
