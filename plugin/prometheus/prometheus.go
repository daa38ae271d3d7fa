// Package prometheus is a Benthos metrics exporter backed by
// prometheus/client_golang: `metrics: { prometheus: {} }` serves every
// metric (Ferry's and the host's) at /metrics on the Benthos HTTP server,
// and can push to a Pushgateway. Core Benthos has no Prometheus exporter;
// the `connect` binary registers this one, and a custom Benthos build can
// too (docs/custom-build.md). It is registered by a call rather than on
// import, and is not in plugin/all, so a Redpanda Connect build that has
// its own `prometheus` exporter keeps it.
package prometheus

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// Name is the exporter's name in configs.
const Name = "prometheus"

// Spec is the exporter's configuration spec.
func Spec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Stable().
		Summary("Serves metrics in Prometheus text format at `/metrics` on the HTTP server, and optionally pushes them to a Pushgateway.").
		Description("Metric names are Benthos's (e.g. `kafka_sink_records`, `input_received`) with any character Prometheus does not allow replaced by `_`; labels are kept, including `label` and `path`. Timings are exported in seconds, as summaries or, with `use_histogram_timing`, histograms.").
		Fields(
			service.NewBoolField("use_histogram_timing").
				Description("Export timings as histograms (aggregatable across instances) rather than summaries.").
				Default(false).Advanced(),
			service.NewFloatListField("histogram_buckets").
				Description("Bucket upper bounds in seconds for timing histograms; empty uses Prometheus's defaults.").
				Default([]any{}).Advanced(),
			service.NewBoolField("add_process_metrics").
				Description("Also export process metrics (CPU, memory, file descriptors).").
				Default(false).Advanced(),
			service.NewBoolField("add_go_metrics").
				Description("Also export Go runtime metrics (goroutines, GC, heap).").
				Default(false).Advanced(),
			service.NewURLField("push_url").
				Description("A Pushgateway to push metrics to, every `push_interval` and once on shutdown.").
				Optional().Advanced(),
			service.NewDurationField("push_interval").
				Description("How often to push to `push_url`.").
				Default("10s").Advanced(),
			service.NewStringField("push_job_name").
				Description("The job name pushed metrics are grouped under.").
				Default("ferry").Advanced(),
			service.NewObjectField("push_basic_auth",
				service.NewStringField("username").Default(""),
				service.NewStringField("password").Default("").Secret(),
			).Description("Basic authentication for the Pushgateway.").Advanced(),
		)
}

// Register adds the exporter to env, e.g. service.GlobalEnvironment(),
// under the name prometheus.
func Register(env *service.Environment) error {
	return env.RegisterMetricsExporter(Name, Spec(), func(conf *service.ParsedConfig, log *service.Logger) (service.MetricsExporter, error) {
		return newExporter(conf, log)
	})
}

type exporter struct {
	reg     *prometheus.Registry
	log     *service.Logger
	hist    bool
	buckets []float64

	mu     sync.Mutex
	vecs   map[string]prometheus.Collector
	pusher *push.Pusher
	stop   chan struct{}
	done   chan struct{}
}

func newExporter(conf *service.ParsedConfig, log *service.Logger) (*exporter, error) {
	e := &exporter{reg: prometheus.NewRegistry(), log: log, vecs: map[string]prometheus.Collector{}}
	var err error
	if e.hist, err = conf.FieldBool("use_histogram_timing"); err != nil {
		return nil, err
	}
	if e.buckets, err = conf.FieldFloatList("histogram_buckets"); err != nil {
		return nil, err
	}
	if on, _ := conf.FieldBool("add_process_metrics"); on {
		e.reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if on, _ := conf.FieldBool("add_go_metrics"); on {
		e.reg.MustRegister(collectors.NewGoCollector())
	}
	if conf.Contains("push_url") {
		u, err := conf.FieldURL("push_url")
		if err != nil {
			return nil, err
		}
		job, _ := conf.FieldString("push_job_name")
		every, err := conf.FieldDuration("push_interval")
		if err != nil {
			return nil, err
		}
		if every <= 0 {
			return nil, fmt.Errorf("field push_interval: must be positive")
		}
		e.pusher = push.New(u.String(), job).Gatherer(e.reg)
		if user, _ := conf.FieldString("push_basic_auth", "username"); user != "" {
			pass, _ := conf.FieldString("push_basic_auth", "password")
			e.pusher = e.pusher.BasicAuth(user, pass)
		}
		e.stop, e.done = make(chan struct{}), make(chan struct{})
		go e.pushLoop(every)
	}
	return e, nil
}

func (e *exporter) pushLoop(every time.Duration) {
	defer close(e.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			if err := e.pusher.Push(); err != nil {
				e.log.Warnf("prometheus: pushing metrics: %v", err)
			}
		}
	}
}

var invalid = regexp.MustCompile(`[^a-zA-Z0-9_:]`)

func clean(name string) string { return invalid.ReplaceAllString(name, "_") }

func cleanAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = clean(n)
	}
	return out
}

// vec returns the collector registered under name, creating it with mk. A
// name reused with another kind or label set (which Prometheus forbids) is
// logged and its values dropped rather than crashing the pipeline.
func (e *exporter) vec(name string, mk func() prometheus.Collector) prometheus.Collector {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.vecs[name]; ok {
		return c
	}
	c := mk()
	if err := e.reg.Register(c); err != nil {
		e.log.Errorf("prometheus: metric %s: %v", name, err)
		c = nil
	}
	e.vecs[name] = c
	return c
}

type nop struct{}

func (nop) Incr(int64)   {}
func (nop) Set(int64)    {}
func (nop) Timing(int64) {}

type counter struct{ c prometheus.Counter }

func (c counter) Incr(n int64) { c.c.Add(float64(n)) }

type gauge struct{ g prometheus.Gauge }

func (g gauge) Set(v int64) { g.g.Set(float64(v)) }

type timer struct{ o prometheus.Observer }

func (t timer) Timing(ns int64) { t.o.Observe(float64(ns) / 1e9) }

// NewCounterCtor implements service.MetricsExporter.
func (e *exporter) NewCounterCtor(name string, labels ...string) service.MetricsExporterCounterCtor {
	name = clean(name)
	v, _ := e.vec(name+"/counter", func() prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Benthos counter " + name}, cleanAll(labels))
	}).(*prometheus.CounterVec)
	return func(vals ...string) service.MetricsExporterCounter {
		if v == nil {
			return nop{}
		}
		return counter{v.WithLabelValues(vals...)}
	}
}

// NewGaugeCtor implements service.MetricsExporter.
func (e *exporter) NewGaugeCtor(name string, labels ...string) service.MetricsExporterGaugeCtor {
	name = clean(name)
	v, _ := e.vec(name+"/gauge", func() prometheus.Collector {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "Benthos gauge " + name}, cleanAll(labels))
	}).(*prometheus.GaugeVec)
	return func(vals ...string) service.MetricsExporterGauge {
		if v == nil {
			return nop{}
		}
		return gauge{v.WithLabelValues(vals...)}
	}
}

// NewTimerCtor implements service.MetricsExporter.
func (e *exporter) NewTimerCtor(name string, labels ...string) service.MetricsExporterTimerCtor {
	name = clean(name)
	help := "Benthos timing " + name + " in seconds"
	c := e.vec(name+"/timer", func() prometheus.Collector {
		if e.hist {
			opts := prometheus.HistogramOpts{Name: name, Help: help}
			if len(e.buckets) > 0 {
				opts.Buckets = e.buckets
			}
			return prometheus.NewHistogramVec(opts, cleanAll(labels))
		}
		return prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Name: name, Help: help,
			Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001},
		}, cleanAll(labels))
	})
	// c is nil when registration failed; check before it becomes a
	// non-nil interface holding a nil pointer.
	v, ok := c.(prometheus.ObserverVec)
	return func(vals ...string) service.MetricsExporterTimer {
		if c == nil || !ok {
			return nop{}
		}
		return timer{v.WithLabelValues(vals...)}
	}
}

// HandlerFunc serves /metrics; Benthos mounts it on its HTTP server.
func (e *exporter) HandlerFunc() http.HandlerFunc {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}).ServeHTTP
}

// Close stops pushing, after a last push.
func (e *exporter) Close(context.Context) error {
	if e.stop != nil {
		close(e.stop)
		<-e.done
		if err := e.pusher.Push(); err != nil {
			e.log.Warnf("prometheus: final push: %v", err)
		}
	}
	return nil
}
