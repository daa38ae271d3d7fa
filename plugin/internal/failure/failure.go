// Package failure says what a record's failure means, so that every Ferry
// component answers the same three questions the same way: whose fault it
// is (the record's own, which no retry can fix and a dead-letter queue is
// for, or the cluster's, which a retry may fix), whether the cluster is
// out of reach (the component should report itself disconnected), and
// under which bounded reason the metrics count it.
//
// Answers come from typed errors (kerr codes, kgo sentinels, net errors,
// serde.ErrRegistryUnavailable, and this package's *Error), never from an
// error's text.
package failure

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/serde"
)

// Stage is where in a component's path a record failed: the `stage` label
// of the errors counters and the DLQ's `__connect.errors.stage` header.
type Stage string

// The stages Ferry reports.
const (
	StageSerialize   Stage = "SERIALIZE"
	StageProduce     Stage = "PRODUCE"
	StageDeserialize Stage = "DESERIALIZE"
	// StageDLQ is a failed write to a dead-letter topic.
	StageDLQ Stage = "DLQ"
)

// Reason is a short, bounded identifier of a failure: the `reason` label
// of the errors counters and the `__ferry.errors.reason` DLQ header.
type Reason string

// Reasons Ferry gives a record before it reaches a broker.
const (
	KeySerializer    Reason = "key_serializer"
	ValueSerializer  Reason = "value_serializer"
	KeyField         Reason = "key_field"
	Interpolation    Reason = "interpolation"
	InvalidPartition Reason = "invalid_partition"
	InvalidTimestamp Reason = "invalid_timestamp"
	InvalidTopic     Reason = "invalid_topic"
)

// Reasons for failures outside the record.
const (
	RegistryUnavailable Reason = "schema_registry_unavailable"
	RecordTimeout       Reason = "record_timeout"
	Timeout             Reason = "timeout"
	Canceled            Reason = "canceled"
	ClientClosed        Reason = "client_closed"
	Network             Reason = "network"
	Other               Reason = "other"
)

// KafkaReason is the reason for a broker error: its code in lower case,
// e.g. message_too_large.
func KafkaReason(e *kerr.Error) Reason { return Reason(strings.ToLower(e.Message)) }

// CodecReason is the reason a record did not decode: the codec that
// failed, e.g. serde.avro_confluent (also the DLQ's class name).
func CodecReason(codecType string) Reason { return Reason("serde." + codecType) }

// Error is a failure that belongs to the record itself and happened
// before a broker saw it: it cannot be serialized, a field interpolates
// to something unusable, its topic name is invalid.
type Error struct {
	Stage  Stage
	Reason Reason
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Class is what a failure means.
type Class struct {
	Stage  Stage
	Reason Reason
	// OwnFault: the failure belongs to the record (it cannot be
	// serialized, its topic is invalid, the broker refuses it as too
	// large or malformed), so retrying it cannot help: this is what a
	// dead-letter queue is for. Everything else (timeouts, leadership
	// changes, authorization, a registry or cluster out of reach) is the
	// state of the world and worth retrying.
	OwnFault bool
	// Unreachable: the failure says the cluster could not be reached at
	// all, so the component should report itself disconnected (after
	// confirming, since one record's timeout proves little).
	Unreachable bool
}

// recordFaults are the broker errors that name the record, not the
// cluster.
var recordFaults = map[*kerr.Error]bool{
	kerr.MessageTooLarge:       true,
	kerr.InvalidRecord:         true,
	kerr.CorruptMessage:        true,
	kerr.InvalidTopicException: true,
	kerr.RecordListTooLarge:    true,
}

// Classify says what err, the failure of one record, means.
func Classify(err error) Class {
	var fe *Error
	switch {
	case errors.Is(err, serde.ErrRegistryUnavailable):
		// The registry is down, not the record wrong: retry it.
		return Class{Stage: StageSerialize, Reason: RegistryUnavailable}
	case errors.As(err, &fe):
		return Class{Stage: fe.Stage, Reason: fe.Reason, OwnFault: true}
	}
	c := Class{Stage: StageProduce}
	var ke *kerr.Error
	switch {
	case errors.Is(err, kgo.ErrRecordTimeout):
		// A record that timed out may wrap the last broker error it
		// was retried for; a timeout is never the record's own fault.
		// When it wraps none (or a network error), no broker answered.
		c.Reason = RecordTimeout
		last := causeBesides(err, kgo.ErrRecordTimeout)
		c.Unreachable = last == nil || isNetErr(last)
	case errors.As(err, &ke):
		c.Reason, c.OwnFault = KafkaReason(ke), recordFaults[ke]
	case errors.Is(err, context.DeadlineExceeded):
		// The record outlived the write's timeout: the cluster was slow
		// or out of reach.
		c.Reason, c.Unreachable = Timeout, true
	case errors.Is(err, context.Canceled):
		c.Reason = Canceled
	case errors.Is(err, kgo.ErrClientClosed):
		c.Reason, c.Unreachable = ClientClosed, true
	case isNetErr(err):
		c.Reason, c.Unreachable = Network, true
	default:
		c.Reason = Other
	}
	return c
}

// Retriable reports whether a failed write of a record may succeed if it
// is tried again unchanged: the failure is not the record's own.
func Retriable(err error) bool { return !Classify(err).OwnFault }

// causeBesides walks err's tree and returns the first leaf error that is
// not sentinel: kgo reports a record timeout as "ErrRecordTimeout, last
// err: <cause>", an error wrapping both.
func causeBesides(err, sentinel error) error {
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if c := causeBesides(e, sentinel); c != nil {
				return c
			}
		}
		return nil
	case interface{ Unwrap() error }:
		if next := u.Unwrap(); next != nil {
			return causeBesides(next, sentinel)
		}
	}
	if err == sentinel {
		return nil
	}
	return err
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed)
}
