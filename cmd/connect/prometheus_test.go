package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A running pipeline with `metrics: { prometheus: {} }` serves Ferry's
// counters and the host's at /metrics, in Prometheus text format.
func TestPrometheusScrape(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(2, "t"))
	port := freePort(t)
	conf := writeConfig(t, fmt.Sprintf(`
input:
  stdin:
    scanner:
      lines: {}
output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: '${! if content().has_prefix("bad") { "bad topic" } else { "t" } }'
    key: '${! content() }'
http:
  address: 127.0.0.1:%d
metrics:
  prometheus:
    use_histogram_timing: true
logger:
  level: warn
`, kafkatest.Brokers(c), port))
	cmd := exec.Command(bin, "run", conf)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for i := range 50 {
		fmt.Fprintf(stdin, "rec-%d\n", i)
	}
	fmt.Fprintln(stdin, "bad-1")

	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var body string
	deadline := time.Now().Add(30 * time.Second)
	want := regexp.MustCompile(`(?m)^kafka_sink_records\{label="",outcome="delivered",path="root\.output"\} 50$`)
	for !want.MatchString(body) {
		if time.Now().After(deadline) {
			t.Fatalf("no delivered=50 sample in /metrics:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}
	for _, line := range []string{
		`# TYPE kafka_sink_records counter`,
		`kafka_sink_errors{label="",path="root.output",reason="invalid_topic",stage="PRODUCE"} `,
		`# TYPE input_received counter`,
		`# TYPE output_latency_ns histogram`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	stdin.Close()
}
