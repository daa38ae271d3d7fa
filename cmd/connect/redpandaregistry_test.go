package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/sr"
	"gopkg.in/yaml.v3"

	"github.com/ferry-connect/ferry/internal/devcluster"
	"github.com/ferry-connect/ferry/serde/confluent"
)

// The schemas the configs' subjects hold: a record with a union of a
// logical type, which tells tagged Avro JSON from raw.
const (
	rpcPersonAvro = `{"type":"record","name":"Person","fields":[{"name":"name","type":"string"},{"name":"at","type":["null",{"type":"long","logicalType":"timestamp-micros"}]}]}`
	rpcEventProto = `syntax = "proto3"; message Event { string id = 1; int64 n = 2; }`
	rpcDocJSON    = `{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}`
	// rpcCommon is a Benthos common schema, as CDC inputs set it.
	rpcCommon = `{"type":"OBJECT","name":"Record","children":[{"type":"STRING","name":"name"},{"type":"INT64","name":"count"}],"fingerprint":"rt001"}`
)

// Redpanda Connect's own schema_registry_decode and schema_registry_encode
// configs (from its docs, examples and tests) lint unchanged, and run
// against a registry with only their URLs pointed at it: the bytes they
// write and the JSON they read are Redpanda Connect's.
func TestRedpandaConnectRegistryConfigsUnchanged(t *testing.T) {
	root := filepath.Join("testdata", "redpanda-connect-registry")
	files, _ := filepath.Glob(filepath.Join(root, "*.yaml"))
	if len(files) < 25 {
		t.Fatalf("found %d configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if out, code := run(t, []string{"TODO=x"}, "lint", f); code != 0 {
				t.Fatalf("lint: exit %d\n%s", code, out)
			}
			reg := devcluster.NewRegistry()
			srv := httptest.NewServer(reg.Handler())
			defer srv.Close()
			ids := seedRegistry(t, reg)
			procs := pointProcessors(t, f, srv.URL)
			in, want := rpcCase(t, procs, ids)
			got := runProcessors(t, procs, in)
			for i := range want {
				if err := got[i].GetError(); err != nil {
					b, _ := got[i].AsBytes()
					t.Fatalf("message %d (%s) failed: %v", i, b, err)
				}
				b, _ := got[i].AsBytes()
				if !bytes.Equal(b, want[i]) {
					t.Errorf("message %d:\n got  %q\n want %q", i, b, want[i])
				}
			}
		})
	}
}

// seedRegistry registers the subjects the configs name.
func seedRegistry(t *testing.T, reg interface {
	RegisterSchema(string, sr.Schema) (int, int, error)
}) map[string]int {
	ids := map[string]int{}
	for subject, s := range map[string]sr.Schema{
		"person-value": {Schema: rpcPersonAvro}, "benthos_example": {Schema: strings.Replace(rpcPersonAvro, "Person", "Example", 1)},
		"foo":          {Schema: strings.Replace(rpcPersonAvro, "Person", "Foo", 1)},
		"events-value": {Schema: rpcEventProto, Type: sr.TypeProtobuf}, "docs-value": {Schema: rpcDocJSON, Type: sr.TypeJSON},
	} {
		id, _, err := reg.RegisterSchema(subject, s)
		if err != nil {
			t.Fatal(err)
		}
		ids[subject] = id
	}
	return ids
}

// pointProcessors reads a config's processors, their url set to url.
func pointProcessors(t *testing.T, f, url string) []map[string]any {
	body, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Pipeline struct {
			Processors []map[string]any `yaml:"processors"`
		} `yaml:"pipeline"`
	}
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(body), "${TODO}", "x")), &conf); err != nil {
		t.Fatal(err)
	}
	for _, p := range conf.Pipeline.Processors {
		for _, v := range p {
			v.(map[string]any)["url"] = url
		}
	}
	return conf.Pipeline.Processors
}

// rpcCase is what a config is fed and what Redpanda Connect gives for it.
func rpcCase(t *testing.T, procs []map[string]any, ids map[string]int) ([]*service.Message, [][]byte) {
	first, _ := procs[0]["schema_registry_encode"].(map[string]any)
	dec, _ := procs[len(procs)-1]["schema_registry_decode"].(map[string]any)
	meta := first != nil && fmt.Sprint(first["schema_metadata"]) != "" && first["schema_metadata"] != nil
	switch {
	case meta && dec != nil:
		return metaMessages(`{"name":"test","count":42}`), [][]byte{[]byte(`{"name":"test","count":42}`)}
	case meta:
		// The schema registered is new: the sixth, after the five seeded.
		body := `{"name":"test","count":42}`
		want := append(confluent.AppendHeader(nil, len(ids)+1), 0x08, 't', 'e', 's', 't', 0x54)
		if first["format"] == "json_schema" {
			want = append(confluent.AppendHeader(nil, len(ids)+1), body...)
		}
		return metaMessages(body), [][]byte{want}
	case first != nil:
		subject := fmt.Sprint(first["subject"])
		if strings.Contains(subject, "${!") {
			subject = "person-value"
		}
		in := []*service.Message{service.NewMessage([]byte(`{"name":"a","at":{"long.timestamp-micros":5}}`)),
			service.NewMessage([]byte(`{"name":"b","at":5}`)), service.NewMessage([]byte(`{"name":"c","at":null}`))}
		for _, m := range in {
			m.MetaSetMut("kafka_topic", subject)
		}
		h := confluent.AppendHeader(nil, ids[subject])
		return in, [][]byte{append(h[:5:5], 0x02, 'a', 0x02, 0x0a), append(h[:5:5], 0x02, 'b', 0x02, 0x0a), append(h[:5:5], 0x02, 'c', 0x00)}
	}
	raw, _ := dec["avro_raw_json"].(bool)
	if avro, ok := dec["avro"].(map[string]any); ok && avro["raw_unions"] != nil {
		raw, _ = avro["raw_unions"].(bool)
	}
	person := `{"name":"a","at":{"long.timestamp-micros":5}}`
	if raw {
		person = `{"name":"a","at":5}`
	}
	return []*service.Message{
			service.NewMessage(append(confluent.AppendHeader(nil, ids["person-value"]), 0x02, 'a', 0x02, 0x0a)),
			service.NewMessage(append(confluent.AppendHeader(nil, ids["events-value"]), 0x00, 0x0a, 0x01, 'x', 0x10, 0x07)),
			service.NewMessage(append(confluent.AppendHeader(nil, ids["docs-value"]), `{"ok":true}`...)),
		}, [][]byte{
			[]byte(person), []byte(`{"id":"x","n":"7"}`), []byte(`{"ok":true}`),
		}
}

// metaMessages is body with the common schema in its schema metadata.
func metaMessages(body string) []*service.Message {
	m := service.NewMessage([]byte(body))
	s, _ := service.NewMessage([]byte(rpcCommon)).AsStructured()
	m.MetaSetMut("schema", s)
	return []*service.Message{m}
}

// runProcessors sends in through procs, in order, and returns what comes
// out.
func runProcessors(t *testing.T, procs []map[string]any, in []*service.Message) []*service.Message {
	t.Helper()
	b := service.NewStreamBuilder()
	if err := b.SetLoggerYAML("level: none"); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		y, _ := yaml.Marshal(p)
		if err := b.AddProcessorYAML(string(y)); err != nil {
			t.Fatal(err)
		}
	}
	send, err := b.AddBatchProducerFunc()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out []*service.Message
	if err := b.AddConsumerFunc(func(_ context.Context, m *service.Message) error {
		mu.Lock()
		out = append(out, m.Copy())
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() { _ = s.Run(ctx) }()
	if err := send(ctx, in); err != nil {
		t.Fatal(err)
	}
	_ = s.StopWithin(5 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(out) != len(in) {
		t.Fatalf("%d of %d messages came out", len(out), len(in))
	}
	return out
}
