package output

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// newTestSink builds and connects a kafka_sink from a YAML config body.
func newTestSink(t *testing.T, yaml string) *sink {
	t.Helper()
	pc, err := Spec().ParseYAML(yaml, nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s, err := newSink(pc, service.MockResources())
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// write sends one batch and returns the indexes the sink reported failed
// (nil when the whole batch was delivered) and the per-index errors.
func write(t *testing.T, s *sink, batch service.MessageBatch) (map[int]error, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	idx := batch.Index()
	err := s.WriteBatch(ctx, batch)
	if err == nil {
		return nil, nil
	}
	var be *service.BatchError
	if !errors.As(err, &be) {
		return nil, err
	}
	failed := map[int]error{}
	be.WalkMessagesIndexedBy(idx, func(i int, _ *service.Message, err error) bool {
		if err != nil {
			failed[i] = err
		}
		return true
	})
	return failed, nil
}

func msg(body string, meta ...string) *service.Message {
	m := service.NewMessage([]byte(body))
	for i := 0; i+1 < len(meta); i += 2 {
		m.MetaSetMut(meta[i], meta[i+1])
	}
	return m
}

func kafkaSASL(user, pass string) []kgo.Opt {
	return []kgo.Opt{kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism())}
}
