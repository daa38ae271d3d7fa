package devcluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/devcluster"
)

const (
	session   = time.Second
	rebalance = 3 * time.Second
)

// member speaks the classic group protocol by hand, so a test can place
// each request at the moment that matters.
type member struct {
	cl  *kgo.Client
	id  string
	gen int32
}

func (m *member) join(t *testing.T) *kmsg.JoinGroupResponse {
	t.Helper()
	resp, err := m.tryJoin()
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (m *member) tryJoin() (*kmsg.JoinGroupResponse, error) {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.MemberID, req.ProtocolType = "g", m.id, "consumer"
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = int32(session/time.Millisecond), int32(rebalance/time.Millisecond)
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name = "range"
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{"in"}
	p.Metadata = meta.AppendTo(nil)
	req.Protocols = append(req.Protocols, p)
	resp, err := req.RequestWith(context.Background(), m.cl)
	if err != nil {
		return nil, err
	}
	m.id, m.gen = resp.MemberID, resp.Generation
	return resp, nil
}

// sync syncs as the leader, giving every member an (empty) assignment.
func (m *member) sync(t *testing.T, members []kmsg.JoinGroupResponseMember) {
	t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.MemberID, req.Generation = "g", m.id, m.gen
	for _, o := range members {
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		a.MemberID = o.MemberID
		req.GroupAssignment = append(req.GroupAssignment, a)
	}
	if _, err := req.RequestWith(context.Background(), m.cl); err != nil {
		t.Fatal(err)
	}
}

// heartbeat reports whether the group wants the member to rejoin.
func (m *member) heartbeat() bool {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = "g", m.id, m.gen
	resp, err := req.RequestWith(context.Background(), m.cl)
	return err == nil && resp.ErrorCode != 0
}

// wedge kills member D while it waits in JoinGroup, at the moment the
// live leader L rejoins: the rebalance completes with D in it, kfake's
// reply to D fails, and L syncs. It reports whether D is still in the
// group, which is Stable, after several session timeouts of silence.
func wedge(t *testing.T, c *kfake.Cluster) (stuck bool, l *member) {
	addrs := kgo.SeedBrokers(c.ListenAddrs()...)
	lcl, _ := kgo.NewClient(addrs)
	t.Cleanup(lcl.Close)
	l = &member{cl: lcl}
	l.join(t) // MEMBER_ID_REQUIRED: the ID
	l.sync(t, l.join(t).Members)
	dcl, _ := kgo.NewClient(addrs)
	d := &member{cl: dcl}
	d.join(t)
	go func() { _, _ = d.tryJoin() }() // waits for L to rejoin
	time.Sleep(50 * time.Millisecond)
	dcl.Close() // D dies as it waits
	resp := l.join(t)
	l.sync(t, resp.Members)
	deadline := time.Now().Add(3 * session)
	for time.Now().Before(deadline) {
		if l.heartbeat() {
			return false, l // D was expired: the group rebalances
		}
		time.Sleep(100 * time.Millisecond)
	}
	g, err := kadm.NewClient(lcl).DescribeGroups(context.Background(), "g")
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.Members) == 2 && g["g"].State == "Stable" && len(g["g"].Members) == 2, l
}

// TestJanitorUnwedgesGroup: without the janitor, a member killed as it
// joins can stay in a Stable group for good (kfake's defect, see
// Janitor); with it, the group rebalances within the session timeout plus
// the janitor's margin and period, and the live member, rejoining, gets
// every partition.
func TestJanitorUnwedgesGroup(t *testing.T) {
	reproduced := false
	for try := 0; try < 15 && !reproduced; try++ {
		c, err := kfake.NewCluster(kfake.SeedTopics(6, "in"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		reproduced, _ = wedge(t, c)
		c.Close()
	}
	if !reproduced {
		t.Fatal("the wedge did not happen in 15 tries without the janitor: this test no longer shows what the janitor is for")
	}

	for try := range 5 {
		c, err := kfake.NewCluster(kfake.SeedTopics(6, "in"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		j, err := devcluster.StartJanitor(c, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if stuck, l := wedge(t, c); stuck {
			t.Fatalf("try %d: the dead member is still in the group with the janitor", try)
		} else {
			// L rejoins alone and takes every partition.
			resp := l.join(t)
			if len(resp.Members) != 1 || resp.LeaderID != l.id {
				t.Fatalf("try %d: the rebalance after the janitor's leave has %d members", try, len(resp.Members))
			}
			t.Logf("try %d: the group was whole again %v after the member died", try, time.Since(start).Round(10*time.Millisecond))
		}
		j.Close()
		c.Close()
	}
}
