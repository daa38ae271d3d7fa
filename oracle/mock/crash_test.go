package mock

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ferry-connect/ferry/oracle/internal/pipeline"
)

// childEnv carries the config a child process runs (TestMockChild).
const childEnv = "FERRY_MOCK_CHILD_CONFIG"

// TestMockChild is not a test of its own: it is the process
// TestMockCrashAndRestart starts and SIGKILLs, running the config in
// childEnv until it is killed.
func TestMockChild(t *testing.T) {
	yaml := os.Getenv(childEnv)
	if yaml == "" {
		t.Skip("run by TestMockCrashAndRestart")
	}
	_ = pipeline.Build(t, yaml).Run(context.Background())
}

// startChild runs yaml in a process of its own (this test binary, running
// TestMockChild), for a test to kill.
func startChild(t *testing.T, yaml string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+yaml)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, &out
}

// A kafka_source → kafka_sink copy in a consumer group is SIGKILLed
// mid-stream and started again. Nothing is lost, and the second run starts
// exactly at what the first committed: the copy holds what the first run
// wrote plus everything from the committed offsets on, no more and no
// less. (At least once: what the first run wrote past its last commit is
// written twice, and the test says how much.)
func TestMockCrashAndRestart(t *testing.T) {
	const n = 20_000
	c := newCluster(t, 3, map[string]int{"in": 4, "out": 4})
	c.fill(t, "in", 0, n)
	config := fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %[1]s ]
    %[2]s
    topics: [ in ]
    consumer_group: crash
    commit_period: 100ms
    session_timeout: 6s
    heartbeat_interval: 500ms
pipeline:
  processors: [ { rate_limit: { resource: slow } } ]
rate_limit_resources: [ { label: slow, local: { count: 1000, interval: 250ms } } ]
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    %[3]s
    topic: out
`, c.brokers(), conn(4), conn(4))

	first, log := startChild(t, config)
	waitUntil(t, "the first run to copy a quarter", time.Minute, func() bool { return c.endOffsets(t, "out", 4) >= n/4 }, log)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	time.Sleep(time.Second) // what was on the wire at the kill lands, or not
	wrote, committed := c.endOffsets(t, "out", 4), c.committed(t, "crash", "in", 4)
	if wrote >= n || committed == 0 || committed > wrote {
		t.Fatalf("killed after writing %d and committing %d of %d: not mid-stream", wrote, committed, n)
	}

	_, log = startChild(t, config)
	waitUntil(t, "the second run to commit everything", time.Minute, func() bool { return c.committed(t, "crash", "in", 4) == n }, log)
	want := wrote + n - committed
	if got := c.endOffsets(t, "out", 4); got != want {
		t.Fatalf("the copy holds %d records; the first run wrote %d and committed %d of %d, so a restart from its commits writes %d", got, wrote, committed, n, want)
	}
	if d, _ := distinct(c.values(t, "out", int(want))); d != n {
		t.Fatalf("%d distinct records of %d in the copy", d, n)
	}
	t.Logf("killed after writing %d and committing %d; %d written twice", wrote, committed, wrote-committed)
}

// waitUntil polls cond until it holds, failing after limit with the
// child's log, if there is one.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool, log *bytes.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("waiting for %s: not after %v", what, limit)
			if log != nil {
				msg += "\n" + log.String()
			}
			t.Fatal(msg)
		}
	}
}
