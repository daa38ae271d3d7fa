package output

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/accounting"
	"github.com/ferry-connect/ferry/serde"
)

// classified is what the sink needs to know about one failed record.
type classified struct {
	stage  accounting.Stage
	reason string // bounded identifier, the `reason` metric label
	// ownFault is true when the error belongs to the record itself
	// (serialization, an invalid topic, a record the broker refuses as
	// too large or malformed): retrying it cannot help. Such records are
	// what a dead-letter queue is for. Everything else (timeouts,
	// leadership changes, authorization, disconnection) is the cluster's
	// state and is worth retrying.
	ownFault bool
	// connectivity is true when the error says the cluster could not be
	// reached, so the output should report itself disconnected.
	connectivity bool
}

// recordFaults are the broker errors that name the record, not the cluster.
var recordFaults = []*kerr.Error{
	kerr.MessageTooLarge,
	kerr.InvalidRecord,
	kerr.CorruptMessage,
	kerr.InvalidTopicException,
	kerr.RecordListTooLarge,
}

func classify(err error) classified {
	var re *recordError
	if errors.Is(err, serde.ErrRegistryUnavailable) {
		// The registry is down, not the record wrong: retry it.
		return classified{stage: accounting.StageSerialize, reason: "schema_registry_unavailable"}
	}
	if errors.As(err, &re) {
		return classified{stage: re.Stage, reason: re.Reason, ownFault: true}
	}
	c := classified{stage: accounting.StageProduce}
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		c.reason = strings.ToLower(ke.Message)
		for _, f := range recordFaults {
			if ke == f {
				c.ownFault = true
			}
		}
		// A record timeout wraps the last broker error; a timeout is
		// never the record's own fault.
		if errors.Is(err, kgo.ErrRecordTimeout) {
			c.reason, c.ownFault = "record_timeout", false
		}
	case errors.Is(err, kgo.ErrRecordTimeout):
		c.reason, c.connectivity = "record_timeout", isNetErr(err) || !strings.Contains(err.Error(), "last err")
	case errors.Is(err, context.DeadlineExceeded):
		// The record outlived `timeout`: the cluster was slow or out of
		// reach. settle pings before calling it a disconnection.
		c.reason, c.connectivity = "timeout", true
	case errors.Is(err, context.Canceled):
		c.reason = "canceled"
	case errors.Is(err, kgo.ErrClientClosed):
		c.reason, c.connectivity = "client_closed", true
	case isNetErr(err):
		c.reason, c.connectivity = "network", true
	default:
		c.reason = "other"
	}
	return c
}

func isNetErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed)
}
