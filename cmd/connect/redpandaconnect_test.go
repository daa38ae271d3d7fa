package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"gopkg.in/yaml.v3"

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
// must fail in its words. Then every one that needs only Kafka (no SASL,
// no TLS, no regular expression topics) runs on a broker with only its
// broker addresses pointed there: every record an output is given lands,
// every record on an input's topics is read.
func TestRedpandaConnectConfigsUnchanged(t *testing.T) {
	root := filepath.Join("testdata", "redpanda-connect")
	files, _ := filepath.Glob(filepath.Join(root, "*", "*.yaml"))
	if len(files) < 80 {
		t.Fatalf("found %d configs", len(files))
	}
	except := readExceptions(t, filepath.Join(root, "EXCEPTIONS"))
	c := kafkatest.Cluster(t, kfake.SeedTopics(3, rpcTopics...), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3))
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
			cfg, topics, ok := pointAt(t, string(body), kafkatest.Brokers(c))
			if !ok {
				return // SASL, TLS or regexps: linted only
			}
			ran++
			if strings.HasPrefix(filepath.Base(f)[4:], "input") {
				// A group of its own, so no member of another run is
				// waited for.
				runRPCInput(t, c, append(env, "CONSUMER_GROUP=g-"+filepath.Base(f)), cfg, topics)
			} else {
				runRPCOutput(t, c, env, cfg)
			}
		})
	}
	for name := range except {
		t.Errorf("EXCEPTIONS lists %s, which is not in the corpus", name)
	}
	t.Logf("%d of %d configs lint unchanged; %d ran on a broker", clean, len(files), ran)
	if clean*100 < len(files)*95 {
		t.Errorf("%d of %d lint unchanged, under 95%%", clean, len(files))
	}
	if ran < clean*3/4 {
		t.Errorf("ran %d of the %d that lint, want three quarters or more", ran, clean)
	}
}

// pointAt is body with its component's broker addresses set to addr (a
// redpanda component without any gets a top-level redpanda block), and
// the topics an input reads, with the test's environment expanded. It
// reports false for a config that needs more than Kafka: SASL, TLS or
// regular expression topics.
func pointAt(t *testing.T, body, addr string) (string, []string, bool) {
	var conf map[string]map[string]map[string]any
	if err := yaml.Unmarshal([]byte(body), &conf); err != nil {
		t.Fatal(err)
	}
	for kind, comps := range conf {
		for name, comp := range comps {
			if sasl, _ := comp["sasl"].(map[string]any); sasl != nil && sasl["mechanism"] != "none" ||
				len(asList(comp["sasl"])) > 0 || strings.Contains(fmt.Sprint(comp["tls"]), "enabled:true") ||
				comp["regexp_topics"] == true || comp["regexp_topics_include"] != nil {
				return "", nil, false
			}
			out := map[string]any{kind: map[string]any{name: comp}}
			switch {
			case comp["addresses"] != nil:
				comp["addresses"] = []any{addr}
			case comp["seed_brokers"] != nil:
				comp["seed_brokers"] = []any{addr}
			default:
				out["redpanda"] = map[string]any{"seed_brokers": []any{addr}}
			}
			var topics []string
			for _, tp := range asList(comp["topics"]) {
				for _, one := range strings.Split(expandEnv(fmt.Sprint(tp)), ",") {
					topics = append(topics, strings.Split(strings.TrimSpace(one), ":")[0])
				}
			}
			b, err := yaml.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			return string(b), topics, true
		}
	}
	t.Fatal("no component in the config")
	return "", nil, false
}

func asList(v any) []any { l, _ := v.([]any); return l }

// envRef is ${VAR} or ${VAR:default}.
var envRef = regexp.MustCompile(`\$\{([A-Z_]+)(?::([^}]*))?\}`)

// expandEnv expands ${VAR} and ${VAR:default} with rpcEnv's values.
func expandEnv(s string) string {
	vals := map[string]string{}
	for _, kv := range rpcEnv("") {
		k, v, _ := strings.Cut(kv, "=")
		vals[k] = v
	}
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := envRef.FindStringSubmatch(m)
		if v, ok := vals[sub[1]]; ok {
			return v
		}
		return sub[2]
	})
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
	before := written(t, c)
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
      meta kafka_topic = "src"
      meta kafka_key = "k" + $n.string()
      meta kafka_timestamp_ms = (1767225600000 + $n).string()
      meta id = "id-" + $n.string()
      meta foo = "0"
`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", cfg)
	cmd.Env = append(os.Environ(), env...)
	if out, code := runCmd(t, cmd, []string{"run", cfg}); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if got := written(t, c) - before; got != 20 {
		t.Fatalf("%d records landed, want 20", got)
	}
}

// runRPCInput puts 20 records on partition 0 of each topic the input
// reads and reads them through the input to stdout.
func runRPCInput(t *testing.T, c *kfake.Cluster, env []string, body string, topics []string) {
	cl := kafkatest.Client(t, c, kgo.AllowAutoTopicCreation(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := range 20 {
		for _, topic := range topics {
			recs = append(recs, &kgo.Record{Topic: topic, Value: []byte{'r', byte('a' + i)}})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, body+"\noutput:\n  stdout:\n    codec: lines\n")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
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

// written is how many records were ever written to the broker: the end
// offsets of every topic, summed.
func written(t *testing.T, c *kfake.Cluster) int64 {
	adm := kadm.NewClient(kafkatest.Client(t, c))
	topics, err := adm.ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return endOffsets(t, adm, topics.Names()...)
}
