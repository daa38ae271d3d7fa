package otel_test

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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
	env, metrics := kafkatest.NewEnvWithMetrics()
	if err := otel.Register(env); err != nil {
		t.Fatal(err)
	}
	rec := &receiver{traces: map[string][]string{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	tracer := fmt.Sprintf("tracer:\n  open_telemetry_collector:\n    service: ferry-test\n    http: [ { address: %s } ]\nlogger: { level: warn }\n", strings.TrimPrefix(srv.URL, "http://"))
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "traced"))
	brokers := kafkatest.Brokers(c)

	// Produce 5 records, each in a trace of its own, with traceparent
	// injected into the record's headers.
	kafkatest.RunStream(t, env, fmt.Sprintf(`
input:
  generate: { count: 5, interval: "", mapping: 'root = {"n": counter()}' }
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: traced
    inject_tracing_map: 'meta = @.merge(this)'
    metadata: { include_patterns: [ traceparent ] }
`, brokers)+tracer, 30*time.Second)
	// Consume them, continuing each record's trace from its header, until
	// the collector holds five traces with both sides of a record.
	kafkatest.RunUntil(t, env, metrics, fmt.Sprintf(`
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
`, brokers)+tracer, "five traces, each with a record's producer and consumer spans", 30*time.Second, func() bool {
		return rec.linked() == 5
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for id, names := range rec.traces {
		if joined := strings.Join(names, ","); !strings.Contains(joined, "kafka_sink") {
			t.Errorf("trace %s holds no producer span: %s", id, joined)
		}
	}
}

// linked counts the traces holding both a kafka_sink span and a
// kafka_source span.
func (r *receiver) linked() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, names := range r.traces {
		joined := strings.Join(names, ",")
		if strings.Contains(joined, "kafka_sink") && strings.Contains(joined, "kafka_source") {
			n++
		}
	}
	return n
}
