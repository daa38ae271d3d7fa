package input

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/eos"
)

// Exactly-once: a transactional kafka_sink that names this source as its
// commit_source attaches to it (eos.Source). From then on the source
// commits nothing itself: the sink's transactions carry its offsets, the
// commit points of what the pipeline has finished with. Two things change
// here:
//
//   - Rebalances. Before partitions are revoked, their batches in the
//     pipeline are waited for and the sink commits its transaction with
//     their offsets; partitions lost abort the transaction.
//   - Rewinds. When a transaction aborts, the records the pipeline
//     finished with since the last commit were in it: the source reads
//     them again from the last committed offsets.

// commits is where one partition's commits may go. Guarded by flow.mu.
type commits struct {
	started   bool
	at        kgo.EpochOffset // the done prefix: where a commit may go now
	committed kgo.EpochOffset // the last commit (or where reading began): a rewind's target
	quiesced  bool            // being revoked: nothing more is handed over
}

// read notes where reading began, the first time records are read.
func (c *commits) read(first *kgo.Record) {
	if !c.started {
		c.started = true
		c.committed = kgo.EpochOffset{Epoch: -1, Offset: first.Offset}
		c.at = c.committed
	}
}

// done moves the commit point.
func (c *commits) done(at kgo.EpochOffset) { c.at = at }

// moved reports whether the commit point is past the last commit.
func (c *commits) moved() bool { return c.started && c.at.Offset > c.committed.Offset }

// rewind is a rewind requested by the sink, carried out by the reader.
type rewind struct {
	// parts are where each partition goes back to (offset -1: nothing
	// was read since it started, so it needs no seek); revoked ones are
	// dropped.
	parts  map[tp]kgo.EpochOffset
	resume func() // the sink's, called before batches flow again
	done   chan error
}

// dropped notes records of an assigned partition polled and dropped while
// the rewind is pending: the client has moved past them, so a partition
// that needed no seek now needs one, to the first of them.
func (r *rewind) dropped(key tp, first int64) {
	if at, ok := r.parts[key]; ok && (at.Offset < 0 || first < at.Offset) {
		r.parts[key] = kgo.EpochOffset{Epoch: -1, Offset: first}
	}
}

// Attach implements eos.Source.
func (s *source) Attach(c eos.Committer) error {
	if s.conf.group == "" {
		return fmt.Errorf("%s has no %s: exactly-once needs one (offsets are committed to the group)", Name, fieldGroup)
	}
	s.eosMu.Lock()
	defer s.eosMu.Unlock()
	if s.committer != nil && s.committer != c {
		return fmt.Errorf("%s already has a transactional sink committing its offsets", Name)
	}
	s.committer = c
	s.transactional.Store(true)
	s.flow.serialize()
	return nil
}

// Detach implements eos.Source. The source stays transactional: it
// never commits its own offsets again, not even between a sink's
// transactor and the one that replaces it, when batches dropped from an
// aborted transaction are acked (their records must be read again).
func (s *source) Detach(c eos.Committer) {
	s.eosMu.Lock()
	defer s.eosMu.Unlock()
	if s.committer == c {
		s.committer = nil
	}
}

func (s *source) attached() eos.Committer {
	s.eosMu.Lock()
	defer s.eosMu.Unlock()
	return s.committer
}

// Group implements eos.Source.
func (s *source) Group() (group, instanceID string) { return s.conf.group, s.conf.instanceID }

// Membership implements eos.Source.
func (s *source) Membership() (eos.Membership, error) {
	cl := s.client.Load()
	if cl == nil {
		return eos.Membership{}, errors.New("the source is not connected")
	}
	member, gen := cl.GroupMetadata()
	if gen < 0 {
		return eos.Membership{}, fmt.Errorf("not a member of group %q right now", s.conf.group)
	}
	m := eos.Membership{Group: s.conf.group, MemberID: member, Generation: gen}
	if s.conf.instanceID != "" {
		id := s.conf.instanceID
		m.InstanceID = &id
	}
	return m, nil
}

// Offsets implements eos.Source.
func (s *source) Offsets() eos.Offsets { return s.flow.commitPoints() }

// Positions implements eos.Source.
func (s *source) Positions() map[string]map[int32]int64 { return s.flow.positions() }

// Committed implements eos.Source.
func (s *source) Committed(o eos.Offsets) { s.flow.committed(o) }

// Rewind implements eos.Source: the reader carries the rewind out (it
// alone seeks the client and resets the partitions) at the top of its
// loop; a poll in progress is cut short.
func (s *source) Rewind(ctx context.Context, resume func()) error {
	r := s.flow.requestRewind(resume)
	select {
	case err := <-r.done:
		r.done <- err // for anyone else waiting on the same rewind
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rewindNow carries out a requested rewind, on the reader: it forgets the
// partitions (their batches still in the pipeline are acked, and
// ignored, as the sink drops them), waits for every batch handed out to
// come back, seeks the client back to the last commits and starts the
// partitions afresh.
func (s *source) rewindNow(ctx context.Context, cl *kgo.Client, r *rewind) error {
	s.batch.retire(ctx, s.flow.takeRetired())
	if err := s.flow.awaitHandedBack(ctx); err != nil {
		return err
	}
	seek := s.flow.restartRewound(r)
	if len(seek) > 0 {
		cl.SetOffsets(seek)
	}
	r.resume()
	s.flow.endRewind()
	s.log.Infof("%s: transaction aborted: reading again from the last committed offsets %v", Name, seek)
	r.done <- nil
	return nil
}

// revokedEOS runs before partitions are revoked: their batches in the
// pipeline are waited for (nothing more of theirs is handed over), then
// the sink commits its transaction with their offsets. If that cannot be
// done in time, the transaction aborts instead: then nothing of theirs
// is committed, and the next owner reads it all again.
func (s *source) revokedEOS(c eos.Committer, revoked map[string][]int32) {
	ctx, cancel := context.WithTimeout(context.Background(), s.conf.rebalanceTimeout*2/3)
	defer cancel()
	s.flow.quiesce(revoked)
	err := s.flow.awaitIdle(ctx, revoked)
	if err == nil {
		err = c.CommitNow(ctx)
	}
	if err != nil {
		s.log.Warnf("%s: committing the transaction before partitions are revoked: %v; it is aborted, and their next owner reads from their last commit", Name, err)
		c.AbortNow()
	}
}

// serialize makes the flow hand out at most one batch of a partition at
// a time (see eos.Source.Attach).
func (f *flow) serialize() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serial = true
}

// commitPoints are the commit points that moved since the last commit.
func (f *flow) commitPoints() eos.Offsets {
	f.mu.Lock()
	defer f.mu.Unlock()
	var o eos.Offsets
	for key, p := range f.parts {
		if !p.commits.moved() {
			continue
		}
		if o == nil {
			o = eos.Offsets{}
		}
		if o[key.topic] == nil {
			o[key.topic] = map[int32]kgo.EpochOffset{}
		}
		o[key.topic][key.part] = p.commits.at
	}
	return o
}

// positions are the partitions' commit points.
func (f *flow) positions() map[string]map[int32]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := map[string]map[int32]int64{}
	for key, p := range f.parts {
		if !p.commits.started {
			continue
		}
		if o[key.topic] == nil {
			o[key.topic] = map[int32]int64{}
		}
		o[key.topic][key.part] = p.commits.at.Offset
	}
	return o
}

// committed records commit points that are now committed.
func (f *flow) committed(o eos.Offsets) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for t, ps := range o {
		for part, at := range ps {
			if p := f.parts[tp{t, part}]; p != nil && at.Offset > p.commits.committed.Offset {
				p.commits.committed = at
			}
		}
	}
}

// requestRewind asks the reader for a rewind, or joins the one pending.
// Every partition is forgotten at once, so no ack of a batch read before
// the abort moves a commit point, and nothing is handed over until the
// rewind is done.
func (f *flow) requestRewind(resume func()) *rewind {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rewind != nil {
		return f.rewind
	}
	r := &rewind{parts: map[tp]kgo.EpochOffset{}, resume: resume, done: make(chan error, 1)}
	for key, p := range f.parts {
		r.parts[key] = p.commits.committed
		if !p.commits.started {
			r.parts[key] = kgo.EpochOffset{Offset: -1} // nothing read: nothing to seek
		}
		p.gone, p.held = true, nil
		f.retired = append(f.retired, p)
		delete(f.parts, key)
	}
	f.queue = nil
	f.rewind = r
	if f.cancelPoll != nil {
		f.cancelPoll()
	}
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return r
}

// restartRewound starts afresh the partitions still assigned, and returns
// where to seek them. Nothing is handed out until endRewind.
func (f *flow) restartRewound(r *rewind) map[string]map[int32]kgo.EpochOffset {
	f.mu.Lock()
	defer f.mu.Unlock()
	seek := map[string]map[int32]kgo.EpochOffset{}
	for key, at := range r.parts {
		p := f.parts[key]
		if p == nil {
			p = &partition{tp: key}
			f.parts[key] = p
		}
		if at.Offset < 0 {
			continue
		}
		// The partition's reading starts at the seek: that is its
		// last commit, even before a record is read.
		p.commits.started, p.commits.committed, p.commits.at = true, at, at
		if seek[key.topic] == nil {
			seek[key.topic] = map[int32]kgo.EpochOffset{}
		}
		seek[key.topic][key.part] = at
	}
	return seek
}

// endRewind lets batches flow again.
func (f *flow) endRewind() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rewind = nil
	if len(f.queue) > 0 {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}

// pendingRewind is the rewind the reader is to carry out, if any.
func (f *flow) pendingRewind() *rewind {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rewind
}

// commitTimeout bounds the commit a source asks of its sink on close.
const commitTimeout = 10 * time.Second
