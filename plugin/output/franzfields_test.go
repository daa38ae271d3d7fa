package output

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// A kafka_franz output config runs as written: the deprecated timestamp
// (seconds), sizes with units in any case, the producer limits, the tcp
// block and target_version. What lands is read back: values, timestamps,
// and the Produce versions the client spoke.
func TestKafkaFranzFieldsOnSink(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "events"))
	var maxProduce atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if v := int32(r.GetVersion()); v > maxProduce.Load() {
			maxProduce.Store(v)
		}
		return nil, nil, false
	})
	s := newTestSink(t, fmt.Sprintf(`
seed_brokers: [ %s ]
topic: events
timestamp: '${! meta("ts") }'
max_message_bytes: 50mib
broker_write_max_bytes: 100MiB
max_buffered_bytes: 256MB
record_retries: 5
record_delivery_timeout: 1h
target_version: 2.1.0
tcp:
  connect_timeout: 5s
  keep_alive: { idle: 30s, interval: 10s, count: 3 }
`, kafkatest.Brokers(c)))
	var batch service.MessageBatch
	for i := range 20 {
		batch = append(batch, msg(fmt.Sprintf("e%d", i), "ts", fmt.Sprint(1_767_225_600+i)))
	}
	failed, err := write(t, s, batch)
	if err != nil || failed != nil {
		t.Fatalf("write: %v %v", failed, err)
	}
	recs := kafkatest.ReadAll(t, c, "events")
	if len(recs) != 20 {
		t.Fatalf("read %d records, want 20", len(recs))
	}
	for _, r := range recs {
		var i int
		if _, err := fmt.Sscanf(string(r.Value), "e%d", &i); err != nil {
			t.Fatal(err)
		}
		if want := time.Unix(int64(1_767_225_600+i), 0); !r.Timestamp.Equal(want) {
			t.Fatalf("%s has timestamp %v, want %v", r.Value, r.Timestamp, want)
		}
	}
	// Kafka 2.1 knows Produce up to v7.
	if v := maxProduce.Load(); v == 0 || v > 7 {
		t.Fatalf("with target_version 2.1.0 the client sent Produce v%d, want at most v7", v)
	}

	// A timestamp that is not a whole number fails that record only,
	// naming the field and its unit.
	failed, err = write(t, s, service.MessageBatch{msg("ok", "ts", "1767225600"), msg("bad", "ts", "soon")})
	if err != nil || len(failed) != 1 || failed[1] == nil || !strings.Contains(failed[1].Error(), `field timestamp: "soon" is not a whole number of seconds`) {
		t.Fatalf("failed %v, err %v", failed, err)
	}
}

// A broker write limit below the batch size could never send a batch: the
// constructor says so, naming both fields.
func TestBrokerWriteMaxBelowMessageBytes(t *testing.T) {
	pc, err := Spec().ParseYAML("seed_brokers: [ localhost:9092 ]\ntopic: t\nmax_message_bytes: 2MiB\nbroker_write_max_bytes: 1MiB\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSink(pc, service.MockResources()); err == nil || !strings.Contains(err.Error(), "field broker_write_max_bytes: 1048576 bytes is less than max_message_bytes, 2097152") {
		t.Fatalf("got %v", err)
	}
}
