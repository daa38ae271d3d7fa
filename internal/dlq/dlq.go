// Package dlq writes records that cannot be processed to a dead-letter
// topic, with the error context headers Kafka Connect uses, so tools built
// for Connect's DLQs read Ferry's too. One writer serves kafka_source's
// `on_deserialize_error: dlq` and kafka_sink's `dlq`.
package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/accounting"
)

// Kafka Connect's error context headers.
const (
	HeaderTopic          = "__connect.errors.topic"
	HeaderPartition      = "__connect.errors.partition"
	HeaderOffset         = "__connect.errors.offset"
	HeaderStage          = "__connect.errors.stage"
	HeaderClassName      = "__connect.errors.class.name"
	HeaderExceptionClass = "__connect.errors.exception.class.name"
	HeaderExceptionMsg   = "__connect.errors.exception.message"
	HeaderConnectorName  = "__connect.errors.connector.name"
)

// Failure is what went wrong with one record, and where it came from.
type Failure struct {
	Topic     string // the record's original topic
	Partition int32  // -1 when unknown (a record that never reached Kafka)
	Offset    int64  // -1 when unknown
	Stage     accounting.Stage
	ClassName string // what failed: the codec or component, e.g. "serde.avro_confluent"
	Err       error
	Connector string // the component's label
}

// Headers returns the error context headers for f.
func Headers(f Failure) []kgo.RecordHeader {
	h := []kgo.RecordHeader{
		{Key: HeaderTopic, Value: []byte(f.Topic)},
	}
	if f.Partition >= 0 {
		h = append(h, kgo.RecordHeader{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(f.Partition)))})
	}
	if f.Offset >= 0 {
		h = append(h, kgo.RecordHeader{Key: HeaderOffset, Value: []byte(strconv.FormatInt(f.Offset, 10))})
	}
	msg := ""
	class := ""
	if f.Err != nil {
		msg = f.Err.Error()
		root := f.Err
		for u := errors.Unwrap(root); u != nil; u = errors.Unwrap(root) {
			root = u
		}
		class = fmt.Sprintf("%T", root)
	}
	return append(h,
		kgo.RecordHeader{Key: HeaderStage, Value: []byte(f.Stage)},
		kgo.RecordHeader{Key: HeaderClassName, Value: []byte(f.ClassName)},
		kgo.RecordHeader{Key: HeaderExceptionClass, Value: []byte(class)},
		kgo.RecordHeader{Key: HeaderExceptionMsg, Value: []byte(msg)},
		kgo.RecordHeader{Key: HeaderConnectorName, Value: []byte(f.Connector)},
	)
}

// Record builds the dead-letter record for an original record: the same
// key, value, headers and timestamp, plus the error context headers.
func Record(topic string, orig *kgo.Record, f Failure) *kgo.Record {
	r := &kgo.Record{
		Topic:     topic,
		Key:       orig.Key,
		Value:     orig.Value,
		Timestamp: orig.Timestamp,
		Headers:   make([]kgo.RecordHeader, 0, len(orig.Headers)+8),
	}
	r.Headers = append(r.Headers, orig.Headers...)
	r.Headers = append(r.Headers, Headers(f)...)
	return r
}

// Writer produces dead-letter records on its own client, so a DLQ's
// settings (and failures) stay apart from the main path's.
type Writer struct {
	mu   sync.Mutex
	cl   *kgo.Client
	opts []kgo.Opt

	aloneMu sync.Mutex
	alone   *kgo.Client // created on first need, see WriteAlone
}

// NewWriter creates a writer from client options.
func NewWriter(opts ...kgo.Opt) (*Writer, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("dead-letter client: %w", err)
	}
	return &Writer{cl: cl, opts: opts}, nil
}

// WriteAlone produces one record on a client that sends nothing else at the
// time, so a size error belongs to that record and not to a batch it
// shared.
func (w *Writer) WriteAlone(ctx context.Context, r *kgo.Record) error {
	w.aloneMu.Lock()
	defer w.aloneMu.Unlock()
	if w.alone == nil {
		cl, err := kgo.NewClient(append(w.opts, kgo.ProducerLinger(0))...)
		if err != nil {
			return err
		}
		w.alone = cl
	}
	return w.alone.ProduceSync(ctx, r).FirstErr()
}

// Write produces every record and waits for all of them; errs[i] is the
// outcome of recs[i] (nil: in the DLQ).
func (w *Writer) Write(ctx context.Context, recs []*kgo.Record) []error {
	errs := make([]error, len(recs))
	var wg sync.WaitGroup
	for i, r := range recs {
		wg.Add(1)
		w.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			errs[i] = err
			wg.Done()
		})
	}
	wg.Wait()
	return errs
}

// Close closes the writer's client.
func (w *Writer) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cl != nil {
		w.cl.Close()
		w.cl = nil
	}
	w.aloneMu.Lock()
	defer w.aloneMu.Unlock()
	if w.alone != nil {
		w.alone.Close()
		w.alone = nil
	}
}
