package devcluster

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Chaos is a rolling restart as a client sees it: partition leaders move
// between brokers, and produce requests fail with the errors a moving
// leader causes. Tests and benchmarks use it to show a client rides
// through; the zero value does nothing.
type Chaos struct {
	// ShuffleLeadersEvery moves every partition's leader to another
	// broker this often (it needs more than one broker).
	ShuffleLeadersEvery time.Duration
	// ProduceFaultRate fails this fraction of produce requests with
	// NOT_LEADER_FOR_PARTITION or NOT_ENOUGH_REPLICAS, half each. The
	// fault is drawn per request, as kfake's notes advise: faults
	// installed on a timer pile up faster than a backing-off client
	// consumes them.
	ProduceFaultRate float64
}

// ChaosRun is Chaos under way on a cluster.
type ChaosRun struct {
	shuffles   atomic.Int64
	handle     *kfake.FaultHandle
	quit, done chan struct{}
}

// StartChaos starts c on kc until Stop.
func StartChaos(kc *kfake.Cluster, c Chaos) *ChaosRun {
	r := &ChaosRun{quit: make(chan struct{}), done: make(chan struct{})}
	if c.ProduceFaultRate > 0 {
		var faults []kfake.Fault
		for _, err := range []*kerr.Error{kerr.NotLeaderForPartition, kerr.NotEnoughReplicas} {
			faults = append(faults, kfake.Fault{
				Keys: []kmsg.Key{kmsg.Produce}, Err: err, Count: -1,
				When: func(kmsg.Request) bool { return rand.Float64() < c.ProduceFaultRate/2 },
			})
		}
		r.handle = kc.Fault(faults...)
	}
	go func() {
		defer close(r.done)
		if c.ShuffleLeadersEvery <= 0 {
			return
		}
		t := time.NewTicker(c.ShuffleLeadersEvery)
		defer t.Stop()
		for {
			select {
			case <-r.quit:
				return
			case <-t.C:
				kc.ShufflePartitionLeaders()
				r.shuffles.Add(1)
			}
		}
	}()
	return r
}

// Stop ends the chaos and reports how many produce requests it failed and
// how many times it moved the leaders.
func (r *ChaosRun) Stop() (faults, shuffles int64) {
	close(r.quit)
	<-r.done
	if r.handle != nil {
		r.handle.Remove()
		faults = int64(r.handle.Hits())
	}
	return faults, r.shuffles.Load()
}
