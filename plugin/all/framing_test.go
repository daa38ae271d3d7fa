package all_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
)

// Header framing end to end: kafka_sink names the schema in
// __value_schema_id (magic byte 1, the GUID) and writes a bare body;
// kafka_source reads it by the header; a copy that re-encodes with payload
// framing and passes metadata through does not carry the old header along
// (readers look at headers first, so it would name the wrong schema).
func TestHeaderFramingThroughPipeline(t *testing.T) {
	const n = 20
	reg := srfake.New()
	defer reg.Close()
	c := kafkatest.Cluster(t, kfake.SeedTopics(2, "framed", "reframed"))
	const schema = `{"type":"record","name":"Reading","fields":[{"name":"id","type":"long"},{"name":"v","type":"double"}]}`

	kafkatest.RunStream(t, nil, fmt.Sprintf(`
input:
  generate: { count: %[1]d, interval: "", mapping: 'root = {"id": counter(), "v": 0.5}' }
output:
  kafka_sink:
    seed_brokers: [ %[2]s ]
    topic: framed
    value_serializer:
      type: avro_confluent
      schema: %[3]q
      schema_id_location: header
      schema_registry: { url: %[4]s }
logger: { level: warn }
`, n, kafkatest.Brokers(c), schema, reg.URL()), 30*time.Second)

	env, metrics := kafkatest.NewEnvWithMetrics()
	kafkatest.RunUntil(t, env, metrics, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ framed ]
    consumer_group: copy
    value_deserializer: { type: schema_registry, schema_registry: { url: %[2]s } }
    on_deserialize_error: fail
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: reframed
    metadata: { include_patterns: [ ".*" ] }
    value_serializer:
      type: avro_confluent
      schema: %[3]q
      schema_registry: { url: %[2]s }
metrics: { capture: {} }
logger: { level: warn }
`, kafkatest.Brokers(c), reg.URL(), schema), "the copy", 30*time.Second, func() bool {
		return metrics.Get(`kafka_sink_records{outcome="delivered"}`) >= n
	})

	ss, ok := reg.GetSchema("framed-value", 1)
	if !ok || ss.GUID == "" {
		t.Fatalf("registered %+v", ss)
	}
	guid, _ := confluent.AppendGUID(nil, ss.GUID)
	dec, err := serde.New(serde.Config{Type: "avro_confluent", DecodeOnly: true, Registry: serde.RegistryConfig{URLs: []string{reg.URL()}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		topic  string
		header bool
	}{{"framed", true}, {"reframed", false}} {
		recs := kafkatest.ReadAll(t, c, tc.topic)
		if len(recs) != n {
			t.Fatalf("%s holds %d records", tc.topic, len(recs))
		}
		seen := map[string]bool{}
		for _, r := range recs {
			h := headers(r)
			v, has := h[confluent.ValueSchemaHeader]
			switch {
			case tc.header && (!has || !bytes.Equal([]byte(v), guid) || r.Value[0] == 0):
				t.Fatalf("%s: header %x, value %x", tc.topic, v, r.Value)
			case !tc.header && (has || r.Value[0] != 0):
				t.Fatalf("%s: a stale schema header %x was copied, value %x", tc.topic, v, r.Value)
			}
			var hs serde.HeaderList
			for k, v := range h {
				hs = append(hs, serde.Header{Key: k, Value: []byte(v)})
			}
			js, err := dec.Deserialize(context.Background(), serde.Target{Topic: tc.topic, Headers: &hs}, r.Value)
			if err != nil {
				t.Fatalf("%s: %v", tc.topic, err)
			}
			seen[string(js)] = true
		}
		if len(seen) != n || !seen[`{"id":1,"v":0.5}`] {
			t.Fatalf("%s: %d distinct values", tc.topic, len(seen))
		}
	}
}
