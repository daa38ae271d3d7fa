package devcluster

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Janitor removes members of classic consumer groups that have been
// silent past their session timeout, which kfake does not always do.
//
// The defect it works around, from kfake's classic group coordinator: when
// a rebalance completes, kfake replies to every member's JoinGroup and
// arms the member's session timer only if the reply was written. A member
// whose connection died while it waited in JoinGroup (killed as it joined)
// gets no timer. If the group's leader then syncs, the pending-sync timer
// that would have removed the member is cleared too, and the dead member
// stays in a Stable group for good, holding its partitions, until some
// other member joins or leaves. TestJanitorUnwedgesGroup reproduces it.
//
// Dead members can also stay in a group that is rebalancing
// (PreparingRebalance): six kafka_source members SIGKILLed as they start,
// then a seventh, left the group there for minutes with two dead members
// in it while the seventh kept joining. cmd/connect's
// TestDevBrokerNeverWedges plays that scenario; with a janitor that only
// looked at Stable groups it wedged in 2 of 3 runs.
//
// The janitor watches group requests (join, sync, heartbeat, commit) to
// know when each member last spoke, and every period looks at the groups
// it has seen, in every state with members (Stable, PreparingRebalance,
// CompletingRebalance): a member silent for longer than its session
// timeout (plus a margin) is dead, and the janitor sends LeaveGroup on its
// behalf. The group then rebalances as it would have had kfake expired
// the member itself. A live member is silent only while it waits in
// JoinGroup or SyncGroup, and it sent that request after the dead
// members last spoke; the janitor removes one member a sweep, the longest
// silent, so the dead go first, the rebalance completes, and the live
// member is answered (and speaks again) before its own silence counts.
type Janitor struct {
	cl     *kgo.Client
	period time.Duration

	mu      sync.Mutex
	members map[string]map[string]*watched // group → member ID → what was seen

	quit, done chan struct{}
}

type watched struct {
	instance *string
	session  time.Duration
	last     time.Time
}

// janitorRequestTimeout bounds each of a sweep's requests.
const janitorRequestTimeout = 5 * time.Second

// JanitorPeriod is how often connect dev's janitor looks.
const JanitorPeriod = 250 * time.Millisecond

// janitorMargin is how much longer than its session timeout a member may
// be silent before the janitor removes it, so a member kfake is about to
// expire itself is left to kfake.
const janitorMargin = 500 * time.Millisecond

// StartJanitor starts a janitor on c, looking every period.
func StartJanitor(c *kfake.Cluster, period time.Duration) (*Janitor, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		return nil, err
	}
	j := &Janitor{cl: cl, period: period, members: map[string]map[string]*watched{}, quit: make(chan struct{}), done: make(chan struct{})}
	for _, key := range []kmsg.Key{kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat, kmsg.OffsetCommit, kmsg.LeaveGroup} {
		c.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			j.observe(req)
			return nil, nil, false // kfake handles it as usual
		})
	}
	go j.run()
	return j, nil
}

// observe notes a group request. It runs on kfake's goroutine: it only
// records.
func (j *Janitor) observe(req kmsg.Request) {
	now := time.Now()
	j.mu.Lock()
	defer j.mu.Unlock()
	// Only classic groups are watched: a JoinGroup makes a group known.
	// (KIP-848 members heartbeat with ConsumerGroupHeartbeat, and kfake
	// expires them by its own timers.)
	see := func(group, member string, instance *string) *watched {
		g := j.members[group]
		if member == "" || g == nil {
			return nil
		}
		w := g[member]
		if w == nil {
			w = &watched{session: 45 * time.Second}
			g[member] = w
		}
		w.last = now
		if instance != nil {
			w.instance = instance
		}
		return w
	}
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		if j.members[r.Group] == nil {
			j.members[r.Group] = map[string]*watched{}
		}
		if w := see(r.Group, r.MemberID, r.InstanceID); w != nil {
			w.session = time.Duration(r.SessionTimeoutMillis) * time.Millisecond
		}
	case *kmsg.SyncGroupRequest:
		see(r.Group, r.MemberID, r.InstanceID)
	case *kmsg.HeartbeatRequest:
		see(r.Group, r.MemberID, r.InstanceID)
	case *kmsg.OffsetCommitRequest:
		see(r.Group, r.MemberID, r.InstanceID)
	case *kmsg.LeaveGroupRequest:
		if g := j.members[r.Group]; g != nil {
			delete(g, r.MemberID)
			for _, m := range r.Members {
				delete(g, m.MemberID)
			}
		}
	}
}

func (j *Janitor) run() {
	defer close(j.done)
	t := time.NewTicker(j.period)
	defer t.Stop()
	for {
		select {
		case <-j.quit:
			return
		case <-t.C:
		}
		j.sweep()
	}
}

// sweptStates are the group states in which the janitor removes silent
// members: every state a group with members can be in.
var sweptStates = map[string]bool{"Stable": true, "PreparingRebalance": true, "CompletingRebalance": true}

// sweep removes the dead members of groups.
func (j *Janitor) sweep() {
	j.mu.Lock()
	groups := make([]string, 0, len(j.members))
	for g := range j.members {
		groups = append(groups, g)
	}
	j.mu.Unlock()
	if len(groups) == 0 {
		return
	}
	// Requests get seconds, not one period: on a loaded machine a
	// LeaveGroup that timed out would leave the dead member in place for
	// another session timeout.
	ctx, cancel := context.WithTimeout(context.Background(), janitorRequestTimeout)
	defer cancel()
	described, err := kadm.NewClient(j.cl).DescribeGroups(ctx, groups...)
	if err != nil {
		return
	}
	now := time.Now()
	for _, g := range described {
		if g.Err != nil || !sweptStates[g.State] {
			continue
		}
		var dead []kmsg.LeaveGroupRequestMember
		var oldest time.Time
		j.mu.Lock()
		for _, m := range g.Members {
			w := j.members[g.Group][m.MemberID]
			if w == nil { // never seen speaking: start its clock now
				w = &watched{session: 45 * time.Second, last: now, instance: m.InstanceID}
				j.members[g.Group][m.MemberID] = w
			}
			// One member a sweep, the longest silent: a live member
			// waiting in JoinGroup may be nearly as silent as the dead
			// one it waits for, and removing the dead one answers it.
			if now.Sub(w.last) > w.session+janitorMargin && (dead == nil || w.last.Before(oldest)) {
				lm := kmsg.NewLeaveGroupRequestMember()
				lm.MemberID, lm.InstanceID = m.MemberID, w.instance
				dead, oldest = []kmsg.LeaveGroupRequestMember{lm}, w.last
			}
		}
		j.mu.Unlock()
		if len(dead) == 0 {
			continue
		}
		leave := kmsg.NewPtrLeaveGroupRequest()
		leave.Group, leave.Members = g.Group, dead
		if resp, err := leave.RequestWith(ctx, j.cl); err == nil && resp.ErrorCode == 0 {
			// Forgotten once gone; until then the next sweep tries again
			// at once, its silence already past the line.
			j.mu.Lock()
			for _, m := range dead {
				delete(j.members[g.Group], m.MemberID)
			}
			j.mu.Unlock()
		}
	}
}

// Close stops the janitor.
func (j *Janitor) Close() {
	close(j.quit)
	<-j.done
	j.cl.Close()
}
