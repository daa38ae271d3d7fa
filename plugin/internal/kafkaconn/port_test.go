package kafkaconn

import "testing"

// An address without a port gets 9092, as franz-go and Redpanda Connect
// give it; a malformed one is refused rather than guessed at.
func TestWithPort(t *testing.T) {
	for in, want := range map[string]string{
		"broker":           "broker:9092",
		"broker:19092":     "broker:19092",
		"10.0.0.1":         "10.0.0.1:9092",
		"[::1]":            "[::1]:9092",
		"::1":              "[::1]:9092",
		"[::1]:9093":       "[::1]:9093",
		"kafka.example.io": "kafka.example.io:9092",
	} {
		got, err := withPort(in)
		if err != nil || got != want {
			t.Errorf("withPort(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"broker:", "a b", "[::1", "host:port:x:"} {
		if got, err := withPort(in); err == nil {
			t.Errorf("withPort(%q) = %q, want an error", in, got)
		}
	}
}
