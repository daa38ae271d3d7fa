package kafkatest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// Metrics is a Benthos metrics exporter that keeps counters and gauges in
// memory, so tests can assert what a Prometheus scrape would show.
type Metrics struct {
	mu     sync.Mutex
	values map[string]int64
}

// NewEnvWithMetrics returns a clone of the global environment with a
// `capture` metrics exporter that records into the returned Metrics. Use
// it with `metrics: { capture: {} }` in the pipeline config.
func NewEnvWithMetrics() (*service.Environment, *Metrics) {
	m := &Metrics{values: map[string]int64{}}
	env := service.GlobalEnvironment().Clone()
	err := env.RegisterMetricsExporter("capture", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) { return m, nil })
	if err != nil {
		panic(err)
	}
	return env, m
}

// Get sums the metric over every series that has the given labels, so
// labels Benthos adds itself (label, path) need not be named. The key is
// written `name{k="v",...}` with any subset of labels, or just `name`.
func (m *Metrics) Get(key string) int64 {
	name, want := key, []string(nil)
	if i := strings.IndexByte(key, '{'); i >= 0 {
		name = key[:i]
		want = strings.Split(strings.TrimSuffix(key[i+1:], "}"), ",")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum int64
	for k, v := range m.values {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		match := true
		for _, w := range want {
			match = match && (strings.Contains(k, "{"+w+",") || strings.Contains(k, ","+w+",") ||
				strings.Contains(k, ","+w+"}") || strings.Contains(k, "{"+w+"}"))
		}
		if match {
			sum += v
		}
	}
	return sum
}

// Dump lists every metric with a prefix, for failure messages.
func (m *Metrics) Dump(prefix string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lines []string
	for k, v := range m.values {
		if strings.HasPrefix(k, prefix) {
			lines = append(lines, fmt.Sprintf("%s %d", k, v))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func metricKey(name string, keys, vals []string) string {
	if len(keys) == 0 {
		return name
	}
	parts := make([]string, len(keys))
	for i := range keys {
		parts[i] = fmt.Sprintf("%s=%q", keys[i], vals[i])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

type metric struct {
	m   *Metrics
	key string
}

func (c metric) Incr(n int64) {
	c.m.mu.Lock()
	c.m.values[c.key] += n
	c.m.mu.Unlock()
}

func (c metric) IncrFloat64(f float64) { c.Incr(int64(f)) }
func (c metric) Decr(n int64)          { c.Incr(-n) }
func (c metric) Timing(int64)          {}

func (c metric) Set(v int64) {
	c.m.mu.Lock()
	c.m.values[c.key] = v
	c.m.mu.Unlock()
}

func (c metric) SetFloat64(f float64) { c.Set(int64(f)) }

// NewCounterCtor implements service.MetricsExporter.
func (m *Metrics) NewCounterCtor(name string, keys ...string) service.MetricsExporterCounterCtor {
	return func(vals ...string) service.MetricsExporterCounter { return metric{m, metricKey(name, keys, vals)} }
}

// NewTimerCtor implements service.MetricsExporter.
func (m *Metrics) NewTimerCtor(name string, keys ...string) service.MetricsExporterTimerCtor {
	return func(vals ...string) service.MetricsExporterTimer { return metric{m, metricKey(name, keys, vals)} }
}

// NewGaugeCtor implements service.MetricsExporter.
func (m *Metrics) NewGaugeCtor(name string, keys ...string) service.MetricsExporterGaugeCtor {
	return func(vals ...string) service.MetricsExporterGauge { return metric{m, metricKey(name, keys, vals)} }
}

// Close implements service.MetricsExporter.
func (m *Metrics) Close(context.Context) error { return nil }
