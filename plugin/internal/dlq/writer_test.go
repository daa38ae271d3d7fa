package dlq_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
	"github.com/ferry-connect/ferry/plugin/internal/accounting"
	"github.com/ferry-connect/ferry/plugin/internal/dlq"
	"github.com/ferry-connect/ferry/plugin/internal/failure"
)

func writer(t *testing.T, c *kfake.Cluster) *dlq.Writer {
	t.Helper()
	w, err := dlq.NewWriter(accounting.NewLedger("test", nil), kgo.SeedBrokers(c.ListenAddrs()...), kgo.MetadataMinAge(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// refuseLarger fails produce requests to topic that carry a record batch
// over n bytes, as a topic's max.message.bytes would (kfake does not
// enforce a topic's own limit).
func refuseLarger(c *kfake.Cluster, topic string, n int) {
	c.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.MessageTooLarge, Count: -1,
		When: func(req kmsg.Request) bool {
			for _, tp := range req.(*kmsg.ProduceRequest).Topics {
				for _, p := range tp.Partitions {
					if len(p.Records) > n {
						return true
					}
				}
			}
			return false
		},
	})
}

func incompressible(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rand.IntN(26))
	}
	return b
}

// One letter too large for the topic among small ones: the small ones are
// written as they are (though the client batched them with the large one),
// the large one without its value; a letter for a topic Kafka would refuse
// is not sent.
func TestWriteTooLargeAndInvalidTopic(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "dlq"))
	refuseLarger(c, "dlq", 4096)
	w := writer(t, c)
	big := incompressible(10_000)
	letters := []*kgo.Record{
		{Topic: "dlq", Key: []byte("a"), Value: []byte("small a")},
		{Topic: "dlq", Key: []byte("big"), Value: big, Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}},
		{Topic: "dlq", Key: []byte("b"), Value: []byte("small b")},
		{Topic: "no/slashes", Key: []byte("c"), Value: []byte("small c")},
	}
	errs := w.Write(context.Background(), letters)
	for i, err := range errs[:3] {
		if err != nil {
			t.Errorf("letter %d: %v", i, err)
		}
	}
	var fe *failure.Error
	if !errors.As(errs[3], &fe) || fe.Reason != failure.InvalidTopic || failure.Retriable(errs[3]) {
		t.Errorf("letter for an invalid topic: %v", errs[3])
	}
	got := map[string]*kgo.Record{}
	for _, r := range kafkatest.ReadAll(t, c, "dlq") {
		got[string(r.Key)] = r
	}
	if len(got) != 3 || string(got["a"].Value) != "small a" || string(got["b"].Value) != "small b" {
		t.Fatalf("DLQ holds %v", got)
	}
	r := got["big"]
	h := map[string]string{}
	for _, hd := range r.Headers {
		h[hd.Key] = string(hd.Value)
	}
	if r.Value != nil || h["h"] != "v" || h[dlq.HeaderValueDropped] != strconv.Itoa(len(big)) {
		t.Errorf("too-large letter: value %d bytes, headers %v", len(r.Value), h)
	}
}

// WriteRetrying retries what the cluster refused for now (authorization,
// here for the first three requests) until it succeeds, and gives up at
// once on what the letter itself causes.
func TestWriteRetrying(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "dlq", "tiny"))
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "dlq", Err: kerr.TopicAuthorizationFailed, Count: 3})
	refuseLarger(c, "tiny", 0) // even a letter without its value is too large
	w := writer(t, c)
	rounds := 0
	errs := w.WriteRetrying(context.Background(), []*kgo.Record{
		{Topic: "dlq", Value: []byte("x")},
		{Topic: "tiny", Value: []byte("y")},
	}, func(n int, first error) {
		rounds++
		if n != 1 || !errors.Is(first, kerr.TopicAuthorizationFailed) {
			t.Errorf("retry round of %d letters, first error %v", n, first)
		}
	})
	if errs[0] != nil {
		t.Errorf("retriable letter: %v", errs[0])
	}
	if !errors.Is(errs[1], kerr.MessageTooLarge) {
		t.Errorf("letter too large even without its value: %v", errs[1])
	}
	if rounds == 0 {
		t.Error("no retry round")
	}
	if n := len(kafkatest.ReadAll(t, c, "dlq")); n != 1 {
		t.Errorf("DLQ holds %d letters, want 1", n)
	}

	// A context that ends stops the retries.
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "dlq", Err: kerr.TopicAuthorizationFailed, Count: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	errs = w.WriteRetrying(ctx, []*kgo.Record{{Topic: "dlq", Value: []byte("z")}}, func(int, error) {})
	if !errors.Is(errs[0], context.DeadlineExceeded) {
		t.Errorf("after the context ended: %v", errs[0])
	}
}
