package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"gopkg.in/yaml.v3"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// bin is the connect binary built once for these tests, as a user builds
// it (with the version stamped by the linker).
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ferry-connect-test")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "connect")
	build := exec.Command("go", "build", "-ldflags", "-X main.Version=v9.9.9-test -X main.DateBuilt=2026-01-01", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building connect:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes the binary and returns its combined output and exit code.
func run(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return runCmd(t, cmd, args)
}

// runCmd runs cmd and returns its combined output and exit code (-1 when
// its context stopped it).
func runCmd(t *testing.T, cmd *exec.Cmd, args []string) (string, int) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", args, err)
	}
	return string(out), code
}

func TestVersionAndSubcommands(t *testing.T) {
	out, code := run(t, nil, "--version")
	if code != 0 || !strings.Contains(out, "v9.9.9-test") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	for _, sub := range []string{"run", "lint", "list", "echo", "test", "blobl", "streams", "dev", "dev count"} {
		out, code := run(t, nil, append(strings.Fields(sub), "--help")...)
		if code != 0 || !strings.Contains(out, "USAGE") {
			t.Errorf("%s --help: exit %d\n%s", sub, code, out)
		}
	}
	out, code = run(t, nil, "list", "outputs")
	if code != 0 || !strings.Contains(out, "kafka_sink") || !strings.Contains(out, "fallback") {
		t.Errorf("list outputs lacks kafka_sink or Benthos's own outputs (exit %d):\n%s", code, out)
	}
	out, code = run(t, nil, "echo", filepath.Join("..", "..", "config", "examples", "quickstart.yaml"))
	if code != 0 || !strings.Contains(out, "key_field: customer_id") {
		t.Errorf("echo: exit %d\n%s", code, out)
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLint(t *testing.T) {
	const head = "input:\n  generate:\n    mapping: 'root = {}'\noutput:\n  kafka_sink:\n    seed_brokers: [ localhost:9092 ]\n    topic: t\n"
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"clean", "    key_field: id\n", ""},
		{"key and key_field", "    key: x\n    key_field: id\n", "fields key and key_field are mutually exclusive"},
		{"partition without manual", "    partition: '1'\n", "field partition requires partitioner: manual"},
		{"manual without partition", "    partitioner: manual\n", "partitioner: manual requires field partition"},
		{"idempotence with acks leader", "    acks: leader\n", "idempotent_write requires acks: all"},
		{"acks leader without idempotence", "    acks: leader\n    idempotent_write: false\n", ""},
		{"unknown field", "    topics: [ t ]\n", "field topics not recognised"},
		{"wrong enum", "    compression: brotli\n", "brotli"},
		{"avro without schema", "    value_serializer:\n      type: avro\n", "type avro needs schema or schema_file"},
		{"confluent without registry", "    value_serializer:\n      type: avro_confluent\n      schema: '\"long\"'\n", "needs schema_registry.url"},
		{"confluent encoder without schema", "    value_serializer:\n      type: avro_confluent\n      schema_registry:\n        url: [ http://localhost:8081 ]\n", "value_serializer: type avro_confluent needs schema or schema_file to serialize"},
		{"schema and schema_file", "    key_serializer:\n      type: avro\n      schema: '\"long\"'\n      schema_file: x.avsc\n", "mutually exclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := run(t, nil, "lint", writeConfig(t, head+tc.extra))
			if tc.want == "" {
				if code != 0 {
					t.Errorf("clean config rejected (exit %d):\n%s", code, out)
				}
				return
			}
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("want exit != 0 and %q, got exit %d:\n%s", tc.want, code, out)
			}
		})
	}
}

func TestLintSource(t *testing.T) {
	const head = "input:\n  kafka_source:\n    seed_brokers: [ localhost:9092 ]\n"
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"clean group", "    topics: [ orders ]\n    consumer_group: g\n", ""},
		{"clean partitions", "    topics: [ orders:0-3, payments:2:1500 ]\n", ""},
		{"group with partitions", "    topics: [ orders:0 ]\n    consumer_group: g\n", "explicit partitions (topic:partition) cannot be used with consumer_group"},
		{"regex with partitions", "    topics: [ orders:0 ]\n    regexp_topics_include: [ 'ord.*' ]\n", "cannot be used with regular expression topics"},
		{"no topics", "    consumer_group: g\n", "set topics or regexp_topics_include"},
		{"dlq without topic", "    topics: [ t ]\n    on_deserialize_error: dlq\n", "on_deserialize_error: dlq needs dlq.topic"},
		{"bad on_deserialize_error", "    topics: [ t ]\n    on_deserialize_error: ignore\n", "ignore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := run(t, nil, "lint", writeConfig(t, head+tc.extra+"output:\n  drop: {}\n"))
			if tc.want == "" {
				if code != 0 {
					t.Errorf("clean config rejected (exit %d):\n%s", code, out)
				}
				return
			}
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("want exit != 0 and %q, got exit %d:\n%s", tc.want, code, out)
			}
		})
	}
}

// Typical kafka_franz and schema_registry_* configs, renamed to Ferry's
// components as docs/migrating-from-redpanda-connect.md says, lint clean.
func TestMigratedConfigsLint(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "kafka_franz", "*.yaml"))
	if len(files) < 5 {
		t.Fatalf("found %d migration configs", len(files))
	}
	for _, f := range files {
		if out, code := run(t, nil, "lint", f); code != 0 {
			t.Errorf("%s: exit %d\n%s", f, code, out)
		}
	}
}

// Every example lints clean.
func TestExamplesLint(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "config", "examples", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	for _, f := range files {
		if out, code := run(t, nil, "lint", f); code != 0 {
			t.Errorf("%s: exit %d\n%s", f, code, out)
		}
	}
}

// The quickstart example, run by the binary as a user runs it: 10,000
// orders keyed by customer land in the topic, each customer on the
// partition its key hashes to, and the summary line accounts for them.
func TestQuickstartExample(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "orders"))
	out, code := run(t, []string{"KAFKA_BROKERS=" + kafkatest.Brokers(c)}, "run", filepath.Join("..", "..", "config", "examples", "quickstart.yaml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "kafka_sink summary: received=10000 delivered=10000 dead_lettered=0 nacked=0") {
		t.Errorf("no summary line accounting for 10000 records:\n%s", out)
	}
	recs := kafkatest.ReadAll(t, c, "orders")
	if len(recs) != 10000 {
		t.Fatalf("topic has %d records, want 10000", len(recs))
	}
	partOf := map[string]int32{}
	for _, r := range recs {
		k := string(r.Key)
		if p, ok := partOf[k]; ok && p != r.Partition {
			t.Fatalf("customer %s on partitions %d and %d", k, p, r.Partition)
		}
		partOf[k] = r.Partition
		if !strings.Contains(string(r.Value), `"customer_id":"`+k+`"`) {
			t.Fatalf("record key %q does not match its value %s", k, r.Value)
		}
	}
	if len(partOf) != 50 {
		t.Errorf("%d distinct customers, want 50", len(partOf))
	}
}

// connect dev starts a broker and a registry, creates the requested
// topics, prints the addresses, and stops cleanly on SIGTERM.
func TestDevCommand(t *testing.T) {
	cmd := exec.Command(bin, "dev", "--port", "0", "--registry-port", "0", "--topic", "payments:4")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // belt and braces if the test fails early
	lines := bufio.NewScanner(stdout)
	var brokers, registry string
	deadline := time.Now().Add(20 * time.Second)
	for (brokers == "" || registry == "") && time.Now().Before(deadline) && lines.Scan() {
		l := lines.Text()
		if _, a, ok := strings.Cut(l, "Kafka broker(s) at "); ok {
			brokers = a
		}
		if _, a, ok := strings.Cut(l, "schema registry at "); ok {
			registry = a
		}
	}
	if brokers == "" || registry == "" {
		t.Fatalf("addresses not printed (brokers %q, registry %q)", brokers, registry)
	}

	resp, err := http.Get(registry + "/subjects")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("registry /subjects: %d %s", resp.StatusCode, body)
	}

	out, code := run(t, nil, "dev", "count", "--brokers", brokers, "payments")
	if code != 0 || strings.Count(out, "\n") != 6 || !strings.Contains(out, "total") {
		t.Errorf("dev count on the new 4-partition topic: exit %d\n%s", code, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("dev exited with %v after SIGTERM\n%s", err, rest.String())
	}
	if !strings.Contains(rest.String(), "stopped") {
		t.Errorf("no clean stop message:\n%s", rest.String())
	}
}

// Exactly-once's rules that span components fail `connect lint` and
// `connect run` (before anything connects): commit_source must name a
// kafka_source of the config, by label, in a consumer group.
func TestLintExactlyOnceAcrossComponents(t *testing.T) {
	const sink = `output:
  kafka_sink:
    seed_brokers: [ 127.0.0.1:1 ]
    topic: out
    transaction:
      enabled: true
      commit_source: orders_in
`
	for _, tc := range []struct {
		name, input, want string
	}{
		{"clean", "input:\n  label: orders_in\n  kafka_source:\n    seed_brokers: [ 127.0.0.1:1 ]\n    topics: [ in ]\n    consumer_group: g\n", ""},
		{"no such label", "input:\n  label: orders\n  kafka_source:\n    seed_brokers: [ 127.0.0.1:1 ]\n    topics: [ in ]\n    consumer_group: g\n", `no kafka_source labelled "orders_in" in this config`},
		{"not a kafka_source", "input:\n  label: orders_in\n  generate:\n    mapping: 'root = {}'\n", `no kafka_source labelled "orders_in" in this config`},
		{"no group", "input:\n  label: orders_in\n  kafka_source:\n    seed_brokers: [ 127.0.0.1:1 ]\n    topics: [ in ]\n", `has no consumer_group`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeConfig(t, tc.input+sink)
			for _, cmd := range []string{"lint", "run"} {
				if tc.want == "" && cmd == "run" {
					continue // a clean config would run
				}
				out, code := run(t, nil, cmd, conf)
				if tc.want == "" {
					if code != 0 {
						t.Errorf("%s: clean config refused (exit %d):\n%s", cmd, code, out)
					}
					continue
				}
				if code == 0 || !strings.Contains(out, tc.want) {
					t.Errorf("%s: want exit != 0 and %q, got exit %d:\n%s", cmd, tc.want, code, out)
				}
			}
		})
	}
}

// Every YAML block in docs/ lints clean: whole configs as they are, and a
// serializer stanza as a kafka_sink's value_serializer.
func TestDocsYAMLLints(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	block := regexp.MustCompile("(?s)```yaml\n(.*?)```")
	linted := 0
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range block.FindAllStringSubmatch(string(doc), -1) {
			body := m[1]
			var top map[string]any
			if err := yaml.Unmarshal([]byte(body), &top); err != nil || len(top) == 0 {
				continue // not a config (e.g. a comment-only sketch)
			}
			// Fragments of a kafka_sink config are linted inside one.
			_, serializer := top["value_serializer"]
			_, sasl := top["sasl"]
			if serializer || sasl {
				body = "output:\n  kafka_sink:\n    seed_brokers: [ localhost:9092 ]\n    topic: t\n" + indentBy(body, "    ")
			}
			linted++
			// Env vars in snippets are placeholders the reader sets.
			if out, code := run(t, nil, "lint", "--skip-env-var-check", writeConfig(t, body)); code != 0 {
				t.Errorf("%s, YAML block %d: exit %d\n%s\n%s", filepath.Base(f), i+1, code, out, body)
			}
		}
	}
	if linted < 5 {
		t.Fatalf("linted %d YAML blocks; the docs hold more", linted)
	}
}

func indentBy(s, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}
