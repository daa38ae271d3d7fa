package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

func produceN(t *testing.T, c *kfake.Cluster, topic string, n int, value func(i int) string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for start := 0; start < n; start += 250 {
		var recs []*kgo.Record
		for i := start; i < start+250 && i < n; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i%31)), Value: []byte(value(i))})
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// linesIn returns the distinct complete lines written so far.
func linesIn(path string) map[string]int {
	out := map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "rec-") && strings.HasSuffix(l, ";") {
			out[l]++
		}
	}
	return out
}

// A pipeline process killed with SIGKILL mid-stream and started again
// resumes from its commits: every record reaches the output, and only
// records after the last commit are read twice.
func TestCrashResumesFromCommits(t *testing.T) {
	const total = 5000
	c := kafkatest.Cluster(t, kfake.SeedTopics(4, "events"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	produceN(t, c, "events", total, func(i int) string { return fmt.Sprintf("rec-%05d;", i) })
	out := filepath.Join(t.TempDir(), "out.txt")
	conf := writeConfig(t, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %s ]
    topics: [ events ]
    consumer_group: crash
    instance_id: crash-member-1
    session_timeout: 3s
    heartbeat_interval: 100ms
    commit_period: 100ms
    fetch_max_partition_bytes: 2000
pipeline:
  processors:
    - sleep:
        duration: 300us
output:
  file:
    path: %s
    codec: lines
http:
  enabled: false
logger:
  level: warn
`, kafkatest.Brokers(c), out))

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", conf)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	wait := func(what string, d time.Duration, cond func() bool) {
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (%d lines)", what, len(linesIn(out)))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	first := start()
	wait("the first run to write 1000 records", 60*time.Second, func() bool { return len(linesIn(out)) >= 1000 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	before := len(linesIn(out))
	if before >= total {
		t.Fatalf("the first run finished (%d records) before it was killed", before)
	}

	second := start()
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
	}()
	wait("every record", 90*time.Second, func() bool { return len(linesIn(out)) == total })
	dups := 0
	for _, n := range linesIn(out) {
		dups += n - 1
	}
	t.Logf("killed after %d records; %d records written twice after the restart", before, dups)
}

// The enrich example: kafka_source -> mapping -> kafka_sink, with the
// DLQ for orders that are not JSON.
func TestEnrichOrdersExample(t *testing.T) {
	c := kafkatest.Cluster(t, kfake.SeedTopics(6, "orders"), kfake.AllowAutoTopicCreation(),
		kfake.GroupMinSessionTimeout(100*time.Millisecond))
	produceN(t, c, "orders", 1000, func(i int) string {
		if i%100 == 50 {
			return "garbled"
		}
		return fmt.Sprintf(`{"order_id":"o-%d","customer_id":"cust-%03d","amount_cents":%d}`, i, i%50, (i*7919)%100000)
	})
	t.Setenv("KAFKA_BROKERS", kafkatest.Brokers(c))
	conf, err := os.ReadFile(filepath.Join("..", "..", "config", "examples", "enrich_orders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b := service.NewStreamBuilder()
	if err := b.SetYAML(string(conf) + "\nlogger: {level: warn}\nhttp: {enabled: false}\n"); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(context.Background()) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := kafkatest.Read(context.Background(), c.ListenAddrs(), "orders-enriched")
		if err == nil && len(n) >= 990 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("orders-enriched has %d records", len(n))
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.Stop(ctx)
	<-done

	enriched := kafkatest.ReadAll(t, c, "orders-enriched")
	ids := map[string]bool{}
	for _, r := range enriched {
		v := string(r.Value)
		if !strings.Contains(v, `"amount_eur":`) || !strings.Contains(v, `"source_offset":`) || !strings.Contains(v, `"customer_id":"`+string(r.Key)+`"`) {
			t.Fatalf("record %s key %s", v, r.Key)
		}
		var o struct {
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal(r.Value, &o); err != nil {
			t.Fatal(err)
		}
		ids[o.OrderID] = true
	}
	if len(enriched) != 990 || len(ids) != 990 {
		t.Errorf("%d enriched records, %d distinct orders; want 990", len(enriched), len(ids))
	}
	if dead := kafkatest.ReadAll(t, c, "orders.dlq"); len(dead) != 10 {
		t.Errorf("DLQ holds %d records, want 10", len(dead))
	}
}
