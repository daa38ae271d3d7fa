package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// Each dead-letter example produces the split its header comment promises:
// 900 orders in the main topic once each, the 100 bad ones in the side
// topic with their cause.
func TestDLQExamples(t *testing.T) {
	for _, tc := range []struct {
		file, side, header, cause string
	}{
		{"dlq_builtin.yaml", "orders.dlq", "__connect.errors.exception.message", "at .qty: expected int, got a string"},
		{"dlq_fallback.yaml", "orders.failed", "error", "payload is not a valid JSON document"},
		{"dlq_switch.yaml", "orders.errors", "error", "price"},
		{"dlq_reject_errored.yaml", "orders.rejected", "error", "customer"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := kafkatest.Cluster(t, kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3))
			t.Setenv("KAFKA_BROKERS", kafkatest.Brokers(c))
			conf, err := os.ReadFile(filepath.Join("..", "..", "config", "examples", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			kafkatest.RunStream(t, nil, string(conf)+"\nlogger: {level: none}\nhttp: {enabled: false}\n", time.Minute)

			main := kafkatest.ReadAll(t, c, "orders")
			side := kafkatest.ReadAll(t, c, tc.side)
			ids := map[string]bool{}
			for _, r := range main {
				ids[string(r.Value)] = true
			}
			if len(main) != 900 || len(ids) != 900 || len(side) != 100 {
				t.Fatalf("orders %d (%d distinct), %s %d; want 900 and 100", len(main), len(ids), tc.side, len(side))
			}
			for _, r := range side {
				var cause string
				for _, h := range r.Headers {
					if h.Key == tc.header {
						cause = string(h.Value)
					}
				}
				if !strings.Contains(cause, tc.cause) {
					t.Fatalf("%s record %s: header %s = %q, want it to mention %q", tc.side, r.Value, tc.header, cause, tc.cause)
				}
			}
		})
	}
}
