// Package pipeline runs Ferry configs for the oracle tests, in process:
// to their end, until the test says so, or until n messages came out. The
// caller imports the components its configs use.
package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// Build builds a whole config's stream, logging warnings and above.
func Build(t testing.TB, yaml string) *service.Stream {
	t.Helper()
	b := service.NewStreamBuilder()
	if err := b.SetYAML(yaml); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoggerYAML("level: warn"); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Run runs a config until it ends (a generate input with a count), within
// limit.
func Run(t testing.TB, yaml string, limit time.Duration) {
	t.Helper()
	s := Build(t, yaml)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// RunUntil runs a config until done closes, within limit.
func RunUntil(t testing.TB, yaml string, done <-chan struct{}, limit time.Duration) {
	t.Helper()
	runUntil(t, Build(t, yaml), done, limit, func() string { return "" })
}

// Collect runs an input config (its input block alone) until n messages
// came out, within limit, and returns copies of them, metadata included.
func Collect(t testing.TB, input string, n int, limit time.Duration) []*service.Message {
	t.Helper()
	b := service.NewStreamBuilder()
	if err := b.AddInputYAML(input); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoggerYAML("level: warn"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*service.Message
	done := make(chan struct{})
	if err := b.AddConsumerFunc(func(_ context.Context, m *service.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if got = append(got, m.Copy()); len(got) == n {
			close(done)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, s, done, limit, func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf(": %d of %d messages", len(got), n)
	})
	mu.Lock()
	defer mu.Unlock()
	return got
}

// runUntil runs s until done closes, then stops it; after limit it fails
// the test, saying where it was (progress).
func runUntil(t testing.TB, s *service.Stream, done <-chan struct{}, limit time.Duration, progress func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = s.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("not done after %v%s", limit, progress())
	}
	_ = s.StopWithin(10 * time.Second)
}
