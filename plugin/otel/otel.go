// Package otel is the open_telemetry_collector tracer, under Redpanda
// Connect's name and fields: spans exported over OTLP (gRPC or HTTP) to
// one or more collectors, and W3C trace context (traceparent) as the
// propagation format, so inject_tracing_map and extract_tracing_map carry a
// trace across a Kafka hop in record headers.
//
// Core Benthos has no tracer but `none`. Like plugin/prometheus, this one
// is registered by a call, so a custom build that already has one (Redpanda
// Connect's) does not collide: cmd/connect calls Register.
package otel

import (
	"context"
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the tracer's name in configs.
const Name = "open_telemetry_collector"

func collectorField(name, example string) *service.ConfigField {
	return service.NewObjectListField(name,
		service.NewStringField("address").Description("The collector's host:port.").Example(example),
		service.NewBoolField("secure").Description("Use TLS to reach the collector.").Default(false),
	).Description(fmt.Sprintf("Collectors reached over OTLP/%s.", map[string]string{"http": "HTTP", "grpc": "gRPC"}[name])).Default([]any{})
}

// Spec is the tracer's config spec, with Redpanda Connect's field names.
func Spec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Summary("Sends spans to OpenTelemetry collectors over OTLP, and carries trace context in W3C traceparent form.").
		Description("Spans of every component go to each collector listed. inject_tracing_map and extract_tracing_map then carry a trace from a kafka_sink to the kafka_source that reads its records, in the `traceparent` header.").
		Fields(
			service.NewStringField("service").Description("The service name spans carry.").Default("benthos"),
			collectorField("http", "localhost:4318"),
			collectorField("grpc", "localhost:4317"),
			service.NewStringMapField("tags").Description("Attributes added to every span's resource.").Default(map[string]any{}),
			service.NewObjectField("sampling",
				service.NewBoolField("enabled").Description("Sample traces instead of keeping every one.").Default(false),
				service.NewFloatField("ratio").Description("The share of traces kept when sampling.").Example(0.85).Optional(),
			).Description("Trace sampling, for high volumes.").Advanced(),
		)
}

// Register adds the tracer to env.
func Register(env *service.Environment) error {
	return env.RegisterOtelTracerProvider(Name, Spec(), newProvider)
}

func newProvider(conf *service.ParsedConfig) (trace.TracerProvider, error) {
	ctx := context.Background()
	var opts []sdktrace.TracerProviderOption
	for _, kind := range []string{"http", "grpc"} {
		list, err := conf.FieldObjectList(kind)
		if err != nil {
			return nil, err
		}
		for i, c := range list {
			exp, err := exporter(ctx, kind, c)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", kind, i, err)
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
	}
	res, err := serviceResource(conf)
	if err != nil {
		return nil, err
	}
	opts = append(opts, sdktrace.WithResource(res))
	if conf.Contains("sampling", "enabled") {
		if on, _ := conf.FieldBool("sampling", "enabled"); on {
			ratio := 1.0
			if conf.Contains("sampling", "ratio") {
				if ratio, err = conf.FieldFloat("sampling", "ratio"); err != nil {
					return nil, err
				}
			}
			opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))))
		}
	}
	// W3C trace context is what inject_tracing_map writes and
	// extract_tracing_map reads.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return sdktrace.NewTracerProvider(opts...), nil
}

// exporter is one collector's OTLP exporter.
func exporter(ctx context.Context, kind string, c *service.ParsedConfig) (*otlptrace.Exporter, error) {
	addr, err := c.FieldString("address")
	if err != nil {
		return nil, err
	}
	secure, err := c.FieldBool("secure")
	if err != nil {
		return nil, err
	}
	if kind == "http" {
		o := []otlptracehttp.Option{otlptracehttp.WithEndpoint(addr)}
		if !secure {
			o = append(o, otlptracehttp.WithInsecure())
		}
		return otlptracehttp.New(ctx, o...)
	}
	o := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(addr)}
	if !secure {
		o = append(o, otlptracegrpc.WithInsecure())
	}
	return otlptracegrpc.New(ctx, o...)
}

// serviceResource is the resource every span carries: the service name and
// the tags.
func serviceResource(conf *service.ParsedConfig) (*resource.Resource, error) {
	name, err := conf.FieldString("service")
	if err != nil {
		return nil, err
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(name)}
	tags, err := conf.FieldStringMap("tags")
	if err != nil {
		return nil, err
	}
	for k, v := range tags {
		attrs = append(attrs, attribute.String(k, v))
	}
	return resource.NewWithAttributes(semconv.SchemaURL, attrs...), nil
}
