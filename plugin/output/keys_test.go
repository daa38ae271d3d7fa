package output

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// The vectors of Kafka's own UtilsTest.testMurmur2, so the reference used
// below is the Java client's function and not just our reading of it.
func TestMurmur2JavaVectors(t *testing.T) {
	for in, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := kafkatest.Murmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestKeyFieldNestedAndNullKeys(t *testing.T) {
	const parts = 12
	c := kafkatest.Cluster(t, kfake.SeedTopics(parts, "orders"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: orders
key_field: customer.id
`, kafkatest.Brokers(c)))

	var batch service.MessageBatch
	for i := range 300 {
		switch {
		case i%10 == 3: // missing field: null key
			batch = append(batch, msg(fmt.Sprintf(`{"n":%d,"customer":{}}`, i)))
		case i%10 == 7: // explicit null: null key
			batch = append(batch, msg(fmt.Sprintf(`{"n":%d,"customer":{"id":null}}`, i)))
		case i%10 == 9: // a number: its JSON text
			batch = append(batch, msg(fmt.Sprintf(`{"n":%d,"customer":{"id":%d}}`, i, 1000+i)))
		default:
			batch = append(batch, msg(fmt.Sprintf(`{"n":%d,"customer":{"id":"c-%d"}}`, i, i%37)))
		}
	}
	failed, err := write(t, s, batch)
	if err != nil || failed != nil {
		t.Fatalf("write: err=%v failed=%v", err, failed)
	}

	recs := kafkatest.ReadAll(t, c, "orders")
	if len(recs) != len(batch) {
		t.Fatalf("read %d records, wrote %d", len(recs), len(batch))
	}
	nulls := 0
	for _, r := range recs {
		if r.Key == nil {
			nulls++
			continue
		}
		if want := kafkatest.JavaPartition(r.Key, parts); r.Partition != want {
			t.Errorf("key %q on partition %d, the Java client would use %d", r.Key, r.Partition, want)
		}
	}
	if nulls != 60 {
		t.Errorf("null keys in topic: %d, want 60", nulls)
	}
	if got := s.ledger.Totals(); got.NullKeys != 60 || got.Delivered != 300 || got.Received != 300 {
		t.Errorf("ledger: %+v", got)
	}
	// The number key is its JSON text.
	found := false
	for _, r := range recs {
		if string(r.Key) == "1009" {
			found = true
		}
	}
	if !found {
		t.Error("numeric key 1009 not found as its JSON text")
	}
}

func TestKeyInterpolationPlacesLikeJava(t *testing.T) {
	const parts = 7
	c := kafkatest.Cluster(t, kfake.SeedTopics(parts, "t"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: t
key: '${! @user }'
`, kafkatest.Brokers(c)))
	// Known placements computed with the Java formula from the vectors
	// above: checked against the reference implementation, not hard-coded.
	keys := []string{"21", "foobar", "abc", "a-little-bit-long-string", "user-1", "user-2", ""}
	var batch service.MessageBatch
	for i, k := range keys {
		batch = append(batch, msg(strconv.Itoa(i), "user", k))
	}
	if failed, err := write(t, s, batch); err != nil || failed != nil {
		t.Fatalf("write: err=%v failed=%v", err, failed)
	}
	for _, r := range kafkatest.ReadAll(t, c, "t") {
		i, _ := strconv.Atoi(string(r.Value))
		if keys[i] == "" {
			if r.Key != nil {
				t.Errorf("empty key interpolation should be a null key, got %q", r.Key)
			}
			continue
		}
		if string(r.Key) != keys[i] {
			t.Errorf("record %d key %q, want %q", i, r.Key, keys[i])
		}
		if want := kafkatest.JavaPartition(r.Key, parts); r.Partition != want {
			t.Errorf("key %q on partition %d, want %d", r.Key, r.Partition, want)
		}
	}
	if got := s.ledger.Totals().NullKeys; got != 1 {
		t.Errorf("null keys counted: %d, want 1", got)
	}
}

func TestTopicHeadersTimestamp(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "events.click", "events.view"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: 'events.${! @kind }'
metadata:
  include_prefixes: [ "h_" ]
headers:
  source: ferry
  seq: '${! @seq }'
timestamp_ms: '${! @ts }'
`, kafkatest.Brokers(c)))
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	var batch service.MessageBatch
	for i := range 10 {
		kind := "click"
		if i%2 == 1 {
			kind = "view"
		}
		batch = append(batch, msg(fmt.Sprintf("m%d", i),
			"kind", kind, "seq", strconv.Itoa(i), "ts", strconv.FormatInt(base+int64(i), 10),
			"h_b", "B", "h_a", "A", "other", "not a header"))
	}
	if failed, err := write(t, s, batch); err != nil || failed != nil {
		t.Fatalf("write: err=%v failed=%v", err, failed)
	}
	for _, topic := range []string{"events.click", "events.view"} {
		recs := kafkatest.ReadAll(t, c, topic)
		if len(recs) != 5 {
			t.Fatalf("%s: %d records, want 5", topic, len(recs))
		}
		for _, r := range recs {
			i, _ := strconv.Atoi(string(r.Value[1:]))
			if (i%2 == 1) != (topic == "events.view") {
				t.Errorf("record %s in %s", r.Value, topic)
			}
			var hs []string
			for _, h := range r.Headers {
				hs = append(hs, h.Key+"="+string(h.Value))
			}
			want := fmt.Sprintf("[h_a=A h_b=B seq=%d source=ferry]", i)
			if fmt.Sprint(hs) != want {
				t.Errorf("record %s headers %v, want %s", r.Value, hs, want)
			}
			if got := r.Timestamp.UnixMilli(); got != base+int64(i) {
				t.Errorf("record %s timestamp %d, want %d", r.Value, got, base+int64(i))
			}
		}
	}
}

func TestInvalidTimestampAndPartitionFailOnlyThatRecord(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "t"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: t
partitioner: manual
partition: '${! @p }'
timestamp_ms: '${! @ts.or("1700000000000") }'
`, kafkatest.Brokers(c)))
	batch := service.MessageBatch{
		msg("a", "p", "0"),
		msg("b", "p", "x"),
		msg("c", "p", "2", "ts", "yesterday"),
		msg("d", "p", "1"),
	}
	failed, err := write(t, s, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 2 || failed[1] == nil || failed[2] == nil {
		t.Fatalf("failed = %v, want indexes 1 and 2", failed)
	}
	recs := kafkatest.ReadAll(t, c, "t")
	if len(recs) != 2 || string(recs[0].Value) != "a" || recs[0].Partition != 0 || string(recs[1].Value) != "d" || recs[1].Partition != 1 {
		t.Fatalf("topic holds %d records: %v", len(recs), recs)
	}
}

// A value the serializer refuses fails that record only (stage SERIALIZE);
// a json key serializer gets key_field values as JSON text.
func TestSerializerFailureAndJSONKeys(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: t
key_field: id
key_serializer:
  type: json
value_serializer:
  type: json
`, kafkatest.Brokers(c)))
	batch := service.MessageBatch{
		msg(`{"id":"a","v":1}`),
		msg(`{"id":7,"v":2}`),
		msg(`not json at all`),
		msg(`{"id":{"x":1},"v":3}`),
	}
	failed, err := write(t, s, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[2] == nil || !strings.Contains(failed[2].Error(), "SERIALIZE") {
		t.Fatalf("failed = %v, want only index 2 at SERIALIZE", failed)
	}
	var keys []string
	for _, r := range kafkatest.ReadAll(t, c, "t") {
		keys = append(keys, string(r.Key))
	}
	if fmt.Sprint(keys) != `["a" 7 {"x":1}]` {
		t.Errorf("keys %v", keys)
	}
}

// Avro keys and values: a record that does not fit the schema fails alone,
// with the field path in its error.
func TestAvroSerializerFailureIsThatRecords(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: t
key_field: id
key_serializer:
  type: avro
  schema: '"long"'
value_serializer:
  type: avro
  schema: '{"type":"record","name":"V","fields":[{"name":"id","type":"long"},{"name":"v","type":"int"}]}'
`, kafkatest.Brokers(c)))
	batch := service.MessageBatch{
		msg(`{"id":1,"v":1}`),
		msg(`{"id":2,"v":"two"}`),
		msg(`{"id":3,"v":3}`),
	}
	failed, err := write(t, s, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[1] == nil || !strings.Contains(failed[1].Error(), "value_serializer") || !strings.Contains(failed[1].Error(), "at .v: expected int, got a string") {
		t.Fatalf("failed = %v", failed)
	}
	recs := kafkatest.ReadAll(t, c, "t")
	if len(recs) != 2 || string(recs[0].Key) != "\x02" || string(recs[1].Key) != "\x06" || string(recs[1].Value) != "\x06\x06" {
		t.Fatalf("records %v", recs)
	}
}

// The scanning key path and the decoding one give the same key for every
// kind of value, escaped strings and repeated keys included, and the same
// failure for a message that is not JSON.
func TestExtractKeyPathsAgree(t *testing.T) {
	docs := []string{
		`{"c":{"id":"c-1"}}`, `{"c":{"id":"a\u00e9<&>\"\\/"}}`, `{"c":{"id":12.50}}`, `{"c":{"id":-1e9}}`,
		`{"c":{"id":true}}`, `{"c":{"id":null}}`, `{"c":{}}`, `{"c":{"id":{"b":1,"a":[2]}}}`, `{"c":{"id":[1, "x"]}}`,
		`{"c":{"id":"first","id":"last"}}`, `{"c":[{"id":"in array"}]}`, `{"c":"scalar"}`, `not json`, `{"c":{"id":"\ud800"}}`,
	}
	for _, path := range [][]string{{"c", "id"}, {"c", "0", "id"}} {
		for _, doc := range docs {
			for _, asJSON := range []bool{false, true} {
				fast, ferr := extractKey(service.NewMessage([]byte(doc)), path, asJSON)
				slow, serr := extractKeyDecoded(service.NewMessage([]byte(doc)), path, asJSON)
				if string(fast) != string(slow) || (ferr == nil) != (serr == nil) {
					t.Errorf("%s at %v (asJSON %v): scan %q %v, decode %q %v", doc, path, asJSON, fast, ferr, slow, serr)
				}
			}
		}
	}
	// A message built structured (by a processor) reads the same.
	m := service.NewMessage(nil)
	m.SetStructured(map[string]any{"c": map[string]any{"id": 7}})
	if k, err := extractKey(m, []string{"c", "id"}, false); err != nil || string(k) != "7" {
		t.Errorf("structured message: %q %v", k, err)
	}
}
