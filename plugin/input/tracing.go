package input

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// fieldExtractTracing is Benthos's name for the mapping that reads a
// record's trace context.
const fieldExtractTracing = "extract_tracing_map"

// tracedInput continues each record's own trace: extract_tracing_map runs
// per message, and each message gets a span of its own, child of the
// context it carries (the traceparent header a producer wrote). Benthos's
// wrapper for batch inputs reads the first message only and gives the
// whole batch its trace, and kafka_source batches records of many traces.
type tracedInput struct {
	service.BatchInput
	mapping *bloblang.Executor
	tracer  trace.Tracer
	log     *service.Logger
}

// withTracing wraps in when extract_tracing_map is set.
func withTracing(conf *service.ParsedConfig, mgr *service.Resources, in service.BatchInput) (service.BatchInput, error) {
	if !conf.Contains(fieldExtractTracing) {
		return in, nil
	}
	m, err := conf.FieldBloblang(fieldExtractTracing)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldExtractTracing, err)
	}
	return &tracedInput{BatchInput: in, mapping: m, tracer: mgr.OtelTracer().Tracer("ferry"), log: mgr.Logger()}, nil
}

func (t *tracedInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	batch, ack, err := t.BatchInput.ReadBatch(ctx)
	if err != nil {
		return batch, ack, err
	}
	prop := otel.GetTextMapPropagator()
	exec := batch.BloblangExecutor(t.mapping)
	spans := make([]trace.Span, 0, len(batch))
	for i, m := range batch {
		carrier, err := carrierOf(exec, i)
		if err != nil {
			t.log.Warnf("%s: %v", fieldExtractTracing, err)
			continue
		}
		sctx, span := t.tracer.Start(prop.Extract(m.Context(), carrier), "input_"+Name)
		batch[i] = m.WithContext(sctx)
		spans = append(spans, span)
	}
	return batch, func(ctx context.Context, err error) error {
		for _, s := range spans {
			s.End()
		}
		return ack(ctx, err)
	}, nil
}

// carrierOf is what the mapping makes of message i, as text map entries.
func carrierOf(exec *service.MessageBatchBloblangExecutor, i int) (propagation.MapCarrier, error) {
	part, err := exec.Query(i)
	if err != nil || part == nil {
		return nil, err
	}
	v, err := part.AsStructured()
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the mapping gave %T, want an object", v)
	}
	c := propagation.MapCarrier{}
	for k, val := range obj {
		if s, ok := val.(string); ok {
			c[k] = s
		}
	}
	return c, nil
}
