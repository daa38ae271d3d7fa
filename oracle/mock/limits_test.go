package mock

// Minimal reproductions of where librdkafka's mock cluster (v2.11.1)
// answers differently from Kafka, each with a plain franz-go client and no
// Ferry component. docs/testing.md says what each one costs the suite.
// Each test fails when the mock changes, so the docs can follow.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// leader is the broker leading topic's partition 0.
func (c *cluster) leader(t *testing.T, topic string) int32 {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), c.plain(t))
	if err != nil || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) == 0 {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	return resp.Topics[0].Partitions[0].Leader
}

// Kafka answers a fetch at once when a partition in it fails (NOT_LEADER,
// FENCED_LEADER_EPOCH, ...): waiting for data cannot mend it. The mock
// holds every answer without records for the fetch's MaxWait, errors too.
// A consumer whose partition's leader moves more often than MaxWait chases
// it forever: each fetch comes back late, saying the leader moved, and by
// then it has moved again.
func TestMockHoldsFetchErrorsForMaxWait(t *testing.T) {
	c := newCluster(t, 3, map[string]int{"t": 1})
	c.fill1(t, "t", 10)
	notLeader := c.leader(t, "t")%3 + 1
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 2000
	req.MaxBytes = 1 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.CurrentLeaderEpoch = -1
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	start := time.Now()
	resp, err := req.RequestWith(context.Background(), c.client(t).Broker(int(notLeader)))
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	code := resp.ErrorCode
	if len(resp.Topics) == 1 && len(resp.Topics[0].Partitions) == 1 && code == 0 {
		code = resp.Topics[0].Partitions[0].ErrorCode
	}
	if !errors.Is(kerr.ErrorForCode(code), kerr.NotLeaderForPartition) {
		t.Fatalf("fetch from broker %d, not the leader: %v, want NOT_LEADER_FOR_PARTITION", notLeader, kerr.ErrorForCode(code))
	}
	if took < 1500*time.Millisecond {
		t.Fatalf("the mock answered NOT_LEADER_FOR_PARTITION after %v, not after MaxWait (2s): update docs/testing.md", took)
	}
	t.Logf("NOT_LEADER_FOR_PARTITION after %v (MaxWait 2s); Kafka answers at once", took)
}

// Kafka's group coordinator stores the leader epoch a commit carries (the
// epoch of the last record read: a restarted reader checks the log against
// it) without comparing it to anything. The mock compares it to the
// partition's current leader epoch and refuses an older one, so after a
// leader move a reader cannot commit what it read before the move until it
// reads a record written after it.
func TestMockFencesCommitsOfEarlierEpochs(t *testing.T) {
	c := newCluster(t, 3, map[string]int{"t": 1})
	c.fill1(t, "t", 1)
	rec := c.readAll(t, "t", 1)[0]
	cl := c.client(t)
	commit := func(epoch int32) error {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group = "solo"
		req.Generation = -1
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = "t"
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Offset = rec.Offset + 1
		rp.LeaderEpoch = epoch
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(context.Background(), cl)
		if err != nil {
			t.Fatal(err)
		}
		return kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
	}
	if err := commit(rec.LeaderEpoch); err != nil {
		t.Fatalf("commit at the record's epoch %d before any leader move: %v", rec.LeaderEpoch, err)
	}
	if err := c.ctl.SetLeader("t", 0, c.leader(t, "t")%3+1); err != nil {
		t.Fatal(err)
	}
	err := commit(rec.LeaderEpoch)
	if !errors.Is(err, kerr.FencedLeaderEpoch) {
		t.Fatalf("commit at the record's epoch %d after a leader move: %v, want FENCED_LEADER_EPOCH (else update docs/testing.md)", rec.LeaderEpoch, err)
	}
	if err := commit(-1); err != nil {
		t.Fatalf("commit without an epoch after a leader move: %v", err)
	}
}

// The mock's transactions are bookkeeping only: EndTxn writes no markers,
// Fetch reports no aborted transactions and a last stable offset equal to
// the high watermark, and TxnOffsetCommit answers success but stores
// nothing. So read_committed readers see aborted records, and a group whose
// offsets a transaction committed has none.
func TestMockTransactionsAreNotAtomic(t *testing.T) {
	c := newCluster(t, 1, map[string]int{"t": 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := c.client(t, kgo.TransactionalID("limits"), kgo.DefaultProduceTopic("t"))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("aborted")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}

	// A committed transaction that also commits offsets for group "eos".
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("committed")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	txnCommitOffset(ctx, t, cl, "limits", "eos", "t", 1)
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	recs := c.readAll(t, "t", 2, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if string(recs[0].Value) != "aborted" {
		t.Fatalf("read_committed read %q first, not the aborted record: update docs/testing.md", recs[0].Value)
	}
	if got := c.committed(t, "eos", "t", 1); got != 0 {
		t.Fatalf("group eos has %d committed after a transaction committed 1: update docs/testing.md", got)
	}
}

// txnCommitOffset adds offset for group/topic partition 0 to the open
// transaction of cl (transactional ID txnID), as a transactional
// consumer-to-producer copy does.
func txnCommitOffset(ctx context.Context, t *testing.T, cl *kgo.Client, txnID, group, topic string, offset int64) {
	t.Helper()
	id, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = txnID, id, epoch, group
	addResp, err := add.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(addResp.ErrorCode)
	}
	if err != nil {
		t.Fatalf("AddOffsetsToTxn: %v", err)
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = txnID, id, epoch, group
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Offset = offset
	rp.LeaderEpoch = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
	}
	if err != nil {
		t.Fatalf("TxnOffsetCommit: %v", err)
	}
}

// fill1 writes n records to topic's partition 0.
func (c *cluster) fill1(t *testing.T, topic string, n int) {
	t.Helper()
	cl := c.client(t, kgo.DefaultProduceTopic(topic))
	for i := range n {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte{byte('a' + i%26)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// The mock advertises JoinGroup up to v6, but reads v6's protocol count, a
// flexible version's varint, as a fixed int32; it refuses the count it
// gets and closes the connection. v5 is answered. franz-go at Kafka 2.1's
// versions sends v3, which target_version: "2.1.0" gives.
func TestMockClosesOnFlexibleJoinGroup(t *testing.T) {
	c := newCluster(t, 1, map[string]int{"t": 1})
	vs := kversion.V2_1_0()
	vs.SetMaxKeyVersion(int16(kmsg.JoinGroup), 6)
	cl := c.client(t, kgo.MaxVersions(vs))
	join := func(v int16) error {
		req := joinRequest("join")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := cl.Broker(1).Request(ctx, pinned{req, v})
		return err
	}
	if err := join(5); err != nil {
		t.Fatalf("JoinGroup v5: %v", err)
	}
	if err := join(6); err == nil {
		t.Fatal("JoinGroup v6 was answered: update docs/testing.md")
	} else {
		t.Logf("JoinGroup v6: %v", err)
	}
}

// pinned sends a JoinGroup request at version v at most.
type pinned struct {
	*kmsg.JoinGroupRequest
	v int16
}

func (p pinned) MaxVersion() int16 { return p.v }

// Asked ApiVersions at a version it does not have (franz-go asks v5 first),
// Kafka answers UNSUPPORTED_VERSION in v0's layout, its array count an
// int32, and the client asks again at the version it names. The mock
// writes that count as a flexible version's one-byte varint, so the answer
// cannot be read as v0 and the client cannot connect. Capping ApiVersions
// at v2, as target_version: "2.1.0" does, avoids the exchange.
func TestMockAnswersNewerApiVersionsUnreadably(t *testing.T) {
	c := newCluster(t, 1, map[string]int{"t": 1})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err == nil || !strings.Contains(err.Error(), "ApiVersions") {
		t.Fatalf("a client at franz-go's own versions: %v, want the ApiVersions answer unreadable (else update docs/testing.md)", err)
	}
	t.Logf("franz-go's own versions: %v", err)
	if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, c.client(t)); err != nil {
		t.Fatalf("at Kafka 2.1's versions: %v", err)
	}
}

// Every request Ferry's components send, at Kafka 2.1's version (what
// target_version: "2.1.0" caps it at), is one the mock advertises. The log
// lists the mock's range and the version sent; docs/testing.md has it.
func TestMockTakesKafka21Versions(t *testing.T) {
	c := newCluster(t, 1, map[string]int{"t": 1})
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(context.Background(), c.client(t))
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("ApiVersions: %v %v", err, kerr.ErrorForCode(resp.ErrorCode))
	}
	adv := map[int16]kmsg.ApiVersionsResponseApiKey{}
	for _, k := range resp.ApiKeys {
		adv[k.ApiKey] = k
	}
	v21 := kversion.V2_1_0()
	for _, key := range []kmsg.Key{kmsg.Produce, kmsg.Fetch, kmsg.ListOffsets, kmsg.Metadata, kmsg.OffsetCommit,
		kmsg.OffsetFetch, kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.Heartbeat, kmsg.LeaveGroup, kmsg.SyncGroup,
		kmsg.ApiVersions, kmsg.InitProducerID, kmsg.OffsetForLeaderEpoch, kmsg.AddPartitionsToTxn,
		kmsg.AddOffsetsToTxn, kmsg.EndTxn, kmsg.TxnOffsetCommit} {
		sent, _ := v21.LookupMaxKeyVersion(int16(key))
		a, ok := adv[int16(key)]
		if !ok || sent < a.MinVersion || sent > a.MaxVersion {
			t.Errorf("%s v%d: the mock advertises %+v", key.Name(), sent, a)
			continue
		}
		t.Logf("%-22s sent v%d, mock v%d-v%d", key.Name(), sent, a.MinVersion, a.MaxVersion)
	}
}

// Kafka takes a member's offset commit while its group prepares a
// rebalance (another member joined): that is when a member gives up
// partitions and commits what it finished with them, before it rejoins.
// Kafka refuses commits only while the group awaits its assignment's sync;
// kfake, run beside it here, does as Kafka does. The mock refuses them as
// soon as a member joins (REBALANCE_IN_PROGRESS), so the records a member
// finished before handing a partition over are read again by the next
// owner.
func TestMockRefusesCommitsWhileARebalanceIsPrepared(t *testing.T) {
	c := newCluster(t, 1, map[string]int{"t": 1})
	if err := commitWhilePrepared(t, func() *kgo.Client { return c.client(t) }, nil); !errors.Is(err, kerr.RebalanceInProgress) {
		t.Fatalf("the mock, a member's commit while a rebalance is prepared: %v, want REBALANCE_IN_PROGRESS (else update docs/testing.md)", err)
	}
	kfakeClient := kfakeClients(t)
	// kfake, unlike the mock, answers DescribeGroups: the commit must come
	// while the group prepares its rebalance, or this shows nothing.
	preparing := func(cl *kgo.Client) {
		groups, err := kadm.NewClient(cl).DescribeGroups(context.Background(), "prep")
		if err != nil || groups["prep"].State != "PreparingRebalance" {
			t.Fatalf("kfake's group is %q (%v), not preparing a rebalance", groups["prep"].State, err)
		}
	}
	if err := commitWhilePrepared(t, kfakeClient, preparing); err != nil {
		t.Fatalf("kfake, a member's commit while a rebalance is prepared: %v", err)
	}
}

// kfakeClients starts a kfake cluster with topic t and returns a maker of
// its clients, at Kafka 2.1's versions as the mock's are.
func kfakeClients(t *testing.T) func() *kgo.Client {
	k := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	return func() *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...), kgo.MaxVersions(kversion.V2_1_0()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
}

// Kafka answers a SyncGroup from a member of a stable group's current
// generation with the member's assignment (kfake does too). The mock
// answers INVALID_REQUEST: a member whose sync comes after the group
// became stable fails to join ("unable to join group session:
// INVALID_REQUEST" in Ferry's log) and joins again, which costs the group
// another rebalance.
func TestMockRefusesSyncOfAStableGroup(t *testing.T) {
	c := newCluster(t, 1, map[string]int{"t": 1})
	if err := syncAgain(t, c.client(t)); !errors.Is(err, kerr.InvalidRequest) {
		t.Fatalf("the mock, a second SyncGroup of a stable group's member: %v, want INVALID_REQUEST (else update docs/testing.md)", err)
	}
	if err := syncAgain(t, kfakeClients(t)()); err != nil {
		t.Fatalf("kfake, a second SyncGroup of a stable group's member: %v", err)
	}
}

// syncAgain makes cl the one member of group "prep", then sends SyncGroup
// once more, as a member that synced late would, and returns its answer.
func syncAgain(t *testing.T, cl *kgo.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	member, generation := joinAndSync(ctx, t, cl)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = "prep", generation, member
	resp, err := sync.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	return kerr.ErrorForCode(resp.ErrorCode)
}

// commitWhilePrepared makes a member of group "prep" on topic t, has
// another join, and returns what the first member's commit is answered.
// check, if not nil, is run just before the commit.
func commitWhilePrepared(t *testing.T, client func() *kgo.Client, check func(*kgo.Client)) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := client()
	member, generation := joinAndSync(ctx, t, a)

	// Another member joins: the group prepares a rebalance, and waits for
	// the first to join again (this join is answered only then).
	go func() { _, _ = joinRequest("prep").RequestWith(ctx, client()) }()
	time.Sleep(500 * time.Millisecond)
	if check != nil {
		check(a)
	}

	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = "prep", generation, member
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewOffsetCommitRequestTopicPartition()
	rp.Offset, rp.LeaderEpoch = 0, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
}

// joinRequest is a first JoinGroup (no member ID yet) of group, at Kafka
// 2.1's timeouts and with one protocol whose metadata nobody reads.
func joinRequest(group string) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group, req.ProtocolType = group, "consumer"
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 6000, 6000
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", []byte{0, 0}
	req.Protocols = append(req.Protocols, p)
	return req
}

// joinAndSync makes cl the one member of group "prep" and returns its ID
// and generation once the group is stable.
func joinAndSync(ctx context.Context, t *testing.T, cl *kgo.Client) (string, int32) {
	t.Helper()
	joined, err := joinRequest("prep").RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(joined.ErrorCode)
	}
	if err != nil {
		t.Fatalf("JoinGroup: %v", err)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = "prep", joined.Generation, joined.MemberID
	as := kmsg.NewSyncGroupRequestGroupAssignment()
	as.MemberID, as.MemberAssignment = joined.MemberID, []byte{0, 0}
	sync.GroupAssignment = append(sync.GroupAssignment, as)
	synced, err := sync.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(synced.ErrorCode)
	}
	if err != nil {
		t.Fatalf("SyncGroup: %v", err)
	}
	return joined.MemberID, joined.Generation
}
