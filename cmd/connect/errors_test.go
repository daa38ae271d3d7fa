package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// `connect list --format jsonschema` describes Ferry's components and
// fields, for editors' YAML language servers.
func TestJSONSchemaCoversFerry(t *testing.T) {
	out, code := run(t, nil, "list", "--format", "jsonschema")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(out), &schema); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, want := range []string{`"kafka_sink"`, `"kafka_source"`, `"serialize"`, `"deserialize"`, `"prometheus"`, `"key_field"`, `"on_deserialize_error"`, `"value_serializer"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the JSON schema lacks %s", want)
		}
	}
}

// runFor runs the binary for at most d, then stops it, and returns its
// output and exit code (-1 when it had to be stopped).
func runFor(t *testing.T, d time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return runCmd(t, exec.CommandContext(ctx, bin, args...), args)
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Bad configs get one clear message naming the field or the address, at
// lint time where lint can know, else at start-up; none panics or hangs.
func TestActionableErrors(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	dir := t.TempDir()
	badSchema := filepath.Join(dir, "bad.avsc")
	if err := os.WriteFile(badSchema, []byte(`{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	deadBroker, deadRegistry := closedPort(t), closedPort(t)
	out := func(body string) string {
		return "input:\n  generate:\n    count: 1\n    interval: ''\n    mapping: 'root = {\"a\": 1}'\noutput:\n  kafka_sink:\n" + body
	}
	brokers := fmt.Sprintf("    seed_brokers: [ %s ]\n", kafkatest.Brokers(c))
	for _, tc := range []struct {
		name, config, cmd string
		want              []string
	}{
		{"unknown field", out(brokers + "    topic: t\n    topics: [ t ]\n"), "lint", []string{"field topics not recognised"}},
		{"wrong enum", out(brokers + "    topic: t\n    acks: some\n"), "lint", []string{"acks", "some"}},
		{"missing topic", out(brokers), "lint", []string{"field topic is required"}},
		{"unreadable schema file", out(brokers + "    topic: t\n    value_serializer:\n      type: avro\n      schema_file: " + filepath.Join(dir, "missing.avsc") + "\n"), "run",
			[]string{"value_serializer", "schema_file", "missing.avsc", "no such file"}},
		{"invalid Avro schema", out(brokers + "    topic: t\n    value_serializer:\n      type: avro\n      schema_file: " + badSchema + "\n"), "run",
			[]string{"value_serializer", "invalid Avro schema", "nope"}},
		{"unreachable broker", out("    seed_brokers: [ " + deadBroker + " ]\n    topic: t\n    dial_timeout: 1s\n"), "run",
			[]string{"cannot reach Kafka at " + deadBroker, "connection refused"}},
		{"unreachable registry", out(brokers + "    topic: t\n    value_serializer:\n      type: avro_confluent\n      schema: '\"long\"'\n      schema_registry:\n        url: [ http://" + deadRegistry + " ]\n"), "run",
			[]string{"registering the schema under subject", "t-value", "schema registry unavailable", deadRegistry, "connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{tc.cmd, writeConfig(t, tc.config)}
			if tc.cmd == "run" {
				args = []string{"run", "--log.level", "error", writeConfig(t, tc.config+"http:\n  enabled: false\n")}
			}
			// A pipeline whose broker or registry is unreachable keeps
			// retrying, as it should; read what it says for a while.
			got, code := runFor(t, 6*time.Second, args...)
			if strings.Contains(got, "panic:") || strings.Contains(got, "goroutine ") {
				t.Fatalf("panicked:\n%s", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q (exit %d):\n%s", w, code, got)
				}
			}
		})
	}
}
