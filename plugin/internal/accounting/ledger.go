// Package accounting keeps the per-record delivery ledger of a Ferry
// component: every record a component is handed ends with exactly one
// outcome, and the ledger counts outcomes and error reasons both as Benthos
// metrics (so Prometheus sees them) and as in-process totals (for the
// summary line logged on close and for tests).
package accounting

import (
	"fmt"
	"sync/atomic"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ferry-connect/ferry/plugin/internal/failure"
)

// Outcome is what finally happened to one record in one write attempt.
type Outcome int

// The outcomes a record can have. Their String forms are the values of the
// `outcome` metric label.
const (
	Delivered Outcome = iota
	DeadLettered
	Nacked
	numOutcomes
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case DeadLettered:
		return "dead_lettered"
	case Nacked:
		return "nacked"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Totals is a snapshot of a ledger's counts.
type Totals struct {
	// Received counts the records handed to the component: for an
	// output, once per write attempt (a retried record counts again), so
	// Received = Delivered + DeadLettered + Nacked at every moment no
	// write is in progress.
	Received     int64
	Delivered    int64
	DeadLettered int64
	Nacked       int64
	NullKeys     int64
}

// Ledger counts outcomes for one component instance. It is safe for
// concurrent use: a sink writes several batches at once.
type Ledger struct {
	prefix   string
	records  *service.MetricCounter
	errors   *service.MetricCounter
	nullKeys *service.MetricCounter

	outcomes [numOutcomes]atomic.Int64
	received atomic.Int64
	nulls    atomic.Int64
}

// NewLedger registers the metrics `<prefix>_records{outcome}`,
// `<prefix>_errors{stage,reason}` and `<prefix>_null_keys` on m. A nil m
// (as in unit tests) keeps the totals only.
func NewLedger(prefix string, m *service.Metrics) *Ledger {
	l := &Ledger{prefix: prefix}
	if m != nil {
		l.records = m.NewCounter(prefix+"_records", "outcome")
		l.errors = m.NewCounter(prefix+"_errors", "stage", "reason")
		l.nullKeys = m.NewCounter(prefix + "_null_keys")
	}
	return l
}

// Receive records that n records were handed to the component.
func (l *Ledger) Receive(n int) { l.received.Add(int64(n)) }

// Outcome records the outcome of n records.
func (l *Ledger) Outcome(o Outcome, n int) {
	if n == 0 {
		return
	}
	l.outcomes[o].Add(int64(n))
	if l.records != nil {
		l.records.Incr(int64(n), o.String())
	}
}

// Error counts one record error by stage and reason. Reasons are short,
// bounded identifiers (a Kafka error code in lower case, or a Ferry reason
// such as invalid_topic) so the metric's label set stays small.
func (l *Ledger) Error(stage failure.Stage, reason failure.Reason) {
	if l.errors != nil {
		l.errors.Incr(1, string(stage), string(reason))
	}
}

// NullKey counts a record produced with a null key although a key was
// configured.
func (l *Ledger) NullKey() {
	l.nulls.Add(1)
	if l.nullKeys != nil {
		l.nullKeys.Incr(1)
	}
}

// Totals returns the counts so far.
func (l *Ledger) Totals() Totals {
	return Totals{
		Received:     l.received.Load(),
		Delivered:    l.outcomes[Delivered].Load(),
		DeadLettered: l.outcomes[DeadLettered].Load(),
		Nacked:       l.outcomes[Nacked].Load(),
		NullKeys:     l.nulls.Load(),
	}
}

// Summary is the one line every component logs on close, in one format:
// `<name> summary: received=… delivered=… dead_lettered=… nacked=…`,
// then `null_keys=…` when a key was configured and some were null.
func (l *Ledger) Summary() string {
	t := l.Totals()
	s := fmt.Sprintf("%s summary: received=%d delivered=%d dead_lettered=%d nacked=%d",
		l.prefix, t.Received, t.Delivered, t.DeadLettered, t.Nacked)
	if t.NullKeys > 0 {
		s += fmt.Sprintf(" null_keys=%d", t.NullKeys)
	}
	return s
}
