package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// rpcTopics are the topics the Redpanda Connect configs read and write.
var rpcTopics = []string{"src", "dst", "topic_a", "topic_b", "topic_c", "aggregated_results", "rp.ai.rag.rpdocs", "bench-events", "copy.src"}

// rpcEnv is what the configs' environment variables are set to; brokers
// point at addr.
func rpcEnv(addr string) []string {
	env := []string{"CONSUMER_GROUP=g", "SOURCE_TOPIC=src", "DEST_TOPIC=dst", "DEST_TOPIC_PREFIX=copy.",
		"KAFKA_TOPIC=t", "TOPIC=src", "SASL_MECHANISM=PLAIN", "DEST_SASL_MECHANISM=PLAIN", "SASL_USERNAME=u", "SASL_PASSWORD=p",
		"DEST_SASL_USERNAME=u", "DEST_SASL_PASSWORD=p"}
	for _, v := range []string{"KAFKA_BROKER", "KAFKA_BOOTSTRAP", "SOURCE_BROKER", "DEST_BROKER", "REDPANDA_BROKERS"} {
		env = append(env, v+"="+addr)
	}
	return env
}

// Redpanda Connect's own Kafka configs (from its docs, cookbooks, tests
// and benchmarks, each file naming where it comes from) lint unchanged,
// but for the exceptions testdata/redpanda-connect/EXCEPTIONS lists, which
// must fail in its words. Those whose brokers come from the environment and
// need no SASL run unchanged on a broker: every record an output is given
// lands, every record on an input's topic is read.
func TestRedpandaConnectConfigsUnchanged(t *testing.T) {
	root := filepath.Join("testdata", "redpanda-connect")
	files, _ := filepath.Glob(filepath.Join(root, "*", "*.yaml"))
	if len(files) < 40 {
		t.Fatalf("found %d configs", len(files))
	}
	except := readExceptions(t, filepath.Join(root, "EXCEPTIONS"))
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, rpcTopics...))
	env := rpcEnv(kafkatest.Brokers(c))
	ran, clean := 0, 0
	for _, f := range files {
		name, _ := filepath.Rel(root, f)
		t.Run(name, func(t *testing.T) {
			out, code := run(t, env, "lint", f)
			if want, ok := except[name]; ok {
				delete(except, name)
				if code == 0 || !strings.Contains(out, want) {
					t.Fatalf("listed as an exception with %q; lint says (exit %d):\n%s", want, code, out)
				}
				return
			}
			if code != 0 {
				t.Fatalf("lint: exit %d\n%s", code, out)
			}
			clean++
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(body), "- ${") || strings.Contains(string(body), "mechanism:") {
				return // fixed brokers or SASL: linted only
			}
			ran++
			if strings.HasPrefix(filepath.Base(f)[4:], "input") {
				// A group of its own, so no member of another run is
				// waited for.
				runRPCInput(t, c, append(env, "CONSUMER_GROUP=g-"+filepath.Base(f)), string(body))
			} else {
				runRPCOutput(t, c, env, string(body))
			}
		})
	}
	for name := range except {
		t.Errorf("EXCEPTIONS lists %s, which is not in the corpus", name)
	}
	t.Logf("%d of %d configs lint unchanged; %d ran on a broker", clean, len(files), ran)
	if ran < 12 {
		t.Fatalf("ran %d configs, want at least 12", ran)
	}
}

// readExceptions reads EXCEPTIONS: file -> the words its lint error holds.
func readExceptions(t *testing.T, path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		if len(parts) != 3 {
			t.Fatalf("EXCEPTIONS: %q is not file | words | why", line)
		}
		out[parts[0]] = parts[1]
	}
	return out
}

// runRPCOutput gives the output 20 generated messages, with the metadata a
// Kafka input would have set, and counts what lands on the broker.
func runRPCOutput(t *testing.T, c *kfake.Cluster, env []string, body string) {
	before := countAll(t, c)
	cfg := writeConfig(t, body+`
input:
  generate:
    count: 20
    interval: ""
    mapping: |
      let n = counter()
      root = {"id": $n}
      meta kafka_metadata = {"kafka_topic": "src", "kafka_partition": $n % 3, "kafka_key": "k" + $n.string(), "kafka_timestamp_unix": 1767225600 + $n}
      meta git_file_path = "docs/page-" + $n.string() + ".md"
`)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", cfg)
	cmd.Env = append(os.Environ(), env...)
	if out, code := runCmd(t, cmd, []string{"run", cfg}); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if got := countAll(t, c) - before; got != 20 {
		t.Fatalf("%d records landed, want 20", got)
	}
}

// runRPCInput puts 20 records on the topics inputs read and reads them
// through the input to stdout.
func runRPCInput(t *testing.T, c *kfake.Cluster, env []string, body string) {
	cl := kafkatest.Client(t, c)
	var recs []*kgo.Record
	for i := range 20 {
		for _, topic := range []string{"src", "bench-events"} {
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte{'r', byte('a' + i)}})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, body+"\noutput:\n  stdout:\n    codec: lines\n")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", cfg)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	lines := 0
	for sc := bufio.NewScanner(out); lines < 20 && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "r") {
			lines++
		}
	}
	if lines < 20 {
		t.Fatalf("read %d records, want at least 20 (a group may read a topic's earlier records too)", lines)
	}
}

// countAll counts the records on every topic the configs use.
func countAll(t *testing.T, c *kfake.Cluster) int {
	n := 0
	for _, topic := range rpcTopics {
		n += len(kafkatest.ReadAll(t, c, topic))
	}
	return n
}

// Redpanda Connect's top-level redpanda block gives its connection to a
// redpanda output that names no brokers and to redpanda_common, whose
// producer settings come from it too.
func TestRedpandaBlock(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, "block_a", "block_b"))
	cfg := writeConfig(t, fmt.Sprintf(`
input:
  generate:
    count: 20
    interval: ""
    mapping: 'root = {"n": counter()}'
output:
  broker:
    outputs:
      - redpanda:
          topic: block_a
      - redpanda_common:
          topic: block_b
redpanda:
  seed_brokers: [ %s ]
  compression: gzip
`, kafkatest.Brokers(c)))
	if out, code := run(t, nil, "lint", cfg); code != 0 {
		t.Fatalf("lint: exit %d\n%s", code, out)
	}
	if out, code := run(t, nil, "run", cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	for _, topic := range []string{"block_a", "block_b"} {
		if n := len(kafkatest.ReadAll(t, c, topic)); n != 20 {
			t.Fatalf("%s holds %d records, want 20", topic, n)
		}
	}
	// A block that asks for what Ferry does not do is refused at lint.
	bad := writeConfig(t, "output:\n  redpanda_common: { topic: x }\nredpanda:\n  seed_brokers: [ localhost:9092 ]\n  logs_topic: __logs\n")
	if out, code := run(t, nil, "lint", bad); code == 0 || !strings.Contains(out, "redpanda.logs_topic") {
		t.Fatalf("lint of a block with logs_topic: exit %d\n%s", code, out)
	}
}
