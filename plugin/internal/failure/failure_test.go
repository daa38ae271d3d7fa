package failure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/serde"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("record 3 of 10: %w", err) }
	for _, tc := range []struct {
		name string
		err  error
		want Class
	}{
		{"serializer", &Error{Stage: StageSerialize, Reason: ValueSerializer, Err: errors.New("bad")},
			Class{Stage: StageSerialize, Reason: ValueSerializer, OwnFault: true}},
		{"registry down inside a serializer error", &Error{Stage: StageSerialize, Reason: ValueSerializer, Err: fmt.Errorf("x: %w", serde.ErrRegistryUnavailable)},
			Class{Stage: StageSerialize, Reason: RegistryUnavailable}},
		{"too large", wrap(kerr.MessageTooLarge), Class{Stage: StageProduce, Reason: "message_too_large", OwnFault: true}},
		{"invalid record", kerr.InvalidRecord, Class{Stage: StageProduce, Reason: "invalid_record", OwnFault: true}},
		{"not leader", kerr.NotLeaderForPartition, Class{Stage: StageProduce, Reason: "not_leader_for_partition"}},
		{"authorization", kerr.TopicAuthorizationFailed, Class{Stage: StageProduce, Reason: "topic_authorization_failed"}},
		{"record timeout, nothing answered", kgo.ErrRecordTimeout, Class{Stage: StageProduce, Reason: RecordTimeout, Unreachable: true}},
		{"record timeout after a broker error", wrap(fmt.Errorf("%w, last err: %w", kgo.ErrRecordTimeout, kerr.MessageTooLarge)),
			Class{Stage: StageProduce, Reason: RecordTimeout}},
		{"record timeout after a refused connection", fmt.Errorf("%w, last err: %w", kgo.ErrRecordTimeout, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}),
			Class{Stage: StageProduce, Reason: RecordTimeout, Unreachable: true}},
		{"write timeout", wrap(context.DeadlineExceeded), Class{Stage: StageProduce, Reason: Timeout, Unreachable: true}},
		{"canceled", context.Canceled, Class{Stage: StageProduce, Reason: Canceled}},
		{"client closed", kgo.ErrClientClosed, Class{Stage: StageProduce, Reason: ClientClosed, Unreachable: true}},
		{"connection reset", wrap(syscall.ECONNRESET), Class{Stage: StageProduce, Reason: Network, Unreachable: true}},
		{"eof", io.EOF, Class{Stage: StageProduce, Reason: Network, Unreachable: true}},
		{"other", errors.New("?"), Class{Stage: StageProduce, Reason: Other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %+v, want %+v", tc.err, got, tc.want)
			}
			if got := Retriable(tc.err); got == tc.want.OwnFault {
				t.Errorf("Retriable(%v) = %v", tc.err, got)
			}
		})
	}
}
