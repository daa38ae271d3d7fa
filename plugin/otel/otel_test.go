package otel_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/otel"

	_ "github.com/ferry-connect/ferry/plugin/all"
)

// receiver is a local OTLP/HTTP collector: it keeps every span it is sent,
// by trace ID.
type receiver struct {
	mu     sync.Mutex
	traces map[string][]string // trace ID -> span names
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var export collectortrace.ExportTraceServiceRequest
	if req.URL.Path != "/v1/traces" || proto.Unmarshal(body, &export) != nil {
		http.Error(w, "not OTLP traces", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range export.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				id := hex.EncodeToString(sp.TraceId)
				r.traces[id] = append(r.traces[id], sp.Name)
			}
		}
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

// A record's trace crosses a Kafka hop: the producing stream's spans and
// the consuming stream's spans of one record share one trace, carried in
// the record's traceparent header by inject_tracing_map and read back by
// extract_tracing_map, and both reach the collector over OTLP/HTTP.
func TestTraceAcrossKafka(t *testing.T) {
	env := service.NewEnvironment()
	if err := otel.Register(env); err != nil {
		t.Fatal(err)
	}
	rec := &receiver{traces: map[string][]string{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	tracer := fmt.Sprintf("tracer:\n  open_telemetry_collector:\n    service: ferry-test\n    http: [ { address: %s } ]\n", strings.TrimPrefix(srv.URL, "http://"))
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "traced"))
	brokers := kafkatest.Brokers(c)

	run := func(yaml string, until func(*service.Stream) bool) {
		b := env.NewStreamBuilder()
		if err := b.SetYAML(yaml + tracer + "logger: { level: warn }\n"); err != nil {
			t.Fatal(err)
		}
		st, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- st.Run(ctx) }()
		if until != nil {
			for !until(st) {
				time.Sleep(50 * time.Millisecond)
			}
			_ = st.Stop(ctx)
		}
		if err := <-done; err != nil && until == nil {
			t.Fatal(err)
		}
	}
	// Produce 5 records, each in a trace of its own, with traceparent
	// injected into the record's headers.
	run(fmt.Sprintf(`
input:
  generate: { count: 5, interval: "", mapping: 'root = {"n": counter()}' }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: traced
    inject_tracing_map: 'meta = @.merge(this)'
    metadata: { include_patterns: [ traceparent ] }
`, brokers), nil)
	var mu sync.Mutex
	read := 0
	// Consume them, continuing each record's trace from its header.
	run(fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %s ]
    topics: [ traced ]
    extract_tracing_map: 'root = @'
pipeline:
  processors:
    - mapping: 'root = this'
output:
  drop: {}
`, brokers), func(*service.Stream) bool {
		mu.Lock()
		defer mu.Unlock()
		read++
		return read > 40 // about 2s for the records and the exporter's batches
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	linked := 0
	for id, names := range rec.traces {
		joined := strings.Join(names, ",")
		if strings.Contains(joined, "kafka_sink") && strings.Contains(joined, "kafka_source") {
			linked++
		} else if strings.Contains(joined, "kafka_source") {
			t.Errorf("trace %s holds the consumer's spans only: %s", id, joined)
		}
	}
	if linked != 5 {
		t.Fatalf("%d traces hold both the producing and the consuming spans of a record, want 5 (one per record); traces: %v", linked, rec.traces)
	}
}
