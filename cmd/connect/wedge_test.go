package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// wedgeRecords is how many records the scenario's topic holds.
const wedgeRecords = 200_000

// The dev broker never wedges (issue 22's scenario): six kafka_source
// members with default timeouts (session 45s, rebalance 60s) are
// SIGKILLed 0.2 to 0.9s after they start, wherever that finds them in the
// group protocol; then a seventh starts, and it must read every record
// within the session timeout plus the rebalance timeout plus 15s. Dead
// members are removed by connect dev's janitor in whatever state the
// group is in. `make test` runs the scenario once; FERRY_WEDGE_RUNS=10
// runs it ten times in a row (docs/testing.md has the results).
func TestDevBrokerNeverWedges(t *testing.T) {
	runs := 1
	if v := os.Getenv("FERRY_WEDGE_RUNS"); v != "" {
		var err error
		if runs, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	var took []time.Duration
	for i := range runs {
		t.Run(strconv.Itoa(i), func(t *testing.T) { took = append(took, wedgeRun(t)) })
	}
	t.Logf("the seventh member read all %d records after %v", wedgeRecords, took)
}

// wedgeRun plays the scenario once on a fresh `connect dev` and returns
// how long the seventh member took to read everything.
func wedgeRun(t *testing.T) time.Duration {
	brokers := startDev(t, "in:12")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.DefaultProduceTopic("in"), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var wg sync.WaitGroup
	var perr error
	var mu sync.Mutex
	for i := range wedgeRecords {
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Key: []byte(strconv.Itoa(i % 1000)), Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				perr = err
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	if perr != nil {
		t.Fatal(perr)
	}
	conf := writeConfig(t, fmt.Sprintf(`
input:
  kafka_source:
    seed_brokers: [ %s ]
    topics: [ in ]
    consumer_group: wedge
output:
  drop: {}
logger:
  level: ${WEDGE_LOG_LEVEL:error}
`, brokers))
	for range 6 {
		m := startMember(t, conf)
		time.Sleep(time.Duration(200+rand.IntN(700)) * time.Millisecond)
		m.signal(syscall.SIGKILL)
	}
	start := time.Now()
	startMember(t, conf)
	adm := kadm.NewClient(cl)
	limit := 45*time.Second + 60*time.Second + 15*time.Second
	for time.Since(start) < limit {
		lags, err := adm.Lag(context.Background(), "wedge")
		if g, ok := lags["wedge"]; err == nil && ok && g.Error() == nil && len(g.Lag) > 0 && g.Lag.Total() == 0 {
			return time.Since(start)
		}
		time.Sleep(500 * time.Millisecond)
	}
	lags, _ := adm.Lag(context.Background(), "wedge")
	described, _ := adm.DescribeGroups(context.Background(), "wedge")
	g := lags["wedge"]
	t.Fatalf("after %v the group still lags %d records (state %s, %d members)", limit, g.Lag.Total(), described["wedge"].State, len(described["wedge"].Members))
	return 0
}

// startDev runs `connect dev` on free ports with the given topics and
// returns its brokers' address.
func startDev(t *testing.T, topics ...string) string {
	t.Helper()
	args := []string{"dev", "--port", "0", "--registry-port", "-1"}
	for _, tp := range topics {
		args = append(args, "--topic", tp)
	}
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if _, a, ok := strings.Cut(lines.Text(), "Kafka broker(s) at "); ok {
			go func() {
				for lines.Scan() { // keep the pipe drained
				}
			}()
			return strings.Split(a, ",")[0]
		}
	}
	t.Fatal("connect dev printed no broker address")
	return ""
}
