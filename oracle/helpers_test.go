package oracle

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ferry-connect/ferry/internal/devcluster"
	_ "github.com/ferry-connect/ferry/plugin/all"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
)

// dev starts the dev cluster `connect dev` runs, with topics.
func dev(t *testing.T, topics ...string) *devcluster.Cluster {
	t.Helper()
	m := map[string]int32{}
	for _, tp := range topics {
		m[tp] = 1 // one partition: records read back in the order written
	}
	c, err := devcluster.Start(devcluster.Config{Brokers: 1, Topics: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// registry is Confluent's client for c's registry.
func registry(t *testing.T, c *devcluster.Cluster) schemaregistry.Client {
	t.Helper()
	cl, err := schemaregistry.NewClient(schemaregistry.NewConfig(c.RegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// record is what a Confluent serializer made of one value.
type record struct {
	headers []kafka.Header
	value   []byte
}

// produce writes records to topic as they are: bytes and headers.
func produce(t *testing.T, c *devcluster.Cluster, topic string, recs []record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, r := range recs {
		kr := &kgo.Record{Topic: topic, Value: r.value}
		for _, h := range r.headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		if err := cl.ProduceSync(context.Background(), kr).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// consume reads topic's records from the start, n of them.
func consume(t *testing.T, c *devcluster.Cluster, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: read %d of %d records", topic, len(out), n)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// confluentHeaders are a record's headers as Confluent's deserializers
// take them.
func confluentHeaders(r *kgo.Record) []kafka.Header {
	var out []kafka.Header
	for _, h := range r.Headers {
		out = append(out, kafka.Header{Key: h.Key, Value: h.Value})
	}
	return out
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %s: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: want %s: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got  %s\n want %s", what, got, want)
	}
}

// compileProto compiles .proto sources, by path, and returns the message
// called name.
func compileProto(t *testing.T, files map[string]string, root, name string) protoreflect.MessageDescriptor {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(files),
	})}
	fds, err := c.Compile(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	md := fds[0].Messages().ByName(protoreflect.Name(name[strings.LastIndex(name, ".")+1:]))
	if md == nil {
		t.Fatalf("no message %s", name)
	}
	return md
}
