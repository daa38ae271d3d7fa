// Command harness is `make bench`: Ferry's pipelines against a raw
// franz-go client and against the host's own floor, in one run, on a
// `connect dev` broker started as a separate process.
//
// Every benchmark runs as its own process; repetitions are interleaved
// (each round runs every benchmark once) and the median of the rounds is
// reported, so a noisy moment of the machine lands on all of them alike.
// The table and chart go to docs/benchmarks.md and docs/benchmarks.png,
// the raw numbers to bin/bench/results.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type options struct {
	records    int
	batch      int
	reps       int
	memRecords int
	memDelay   time.Duration
	partitions int
	only       string
	work       string
	doc        string
	chart      string
	sample     time.Duration
	profile    time.Duration
	root       string
	moveEvery  time.Duration // B7: how often every leader moves
	faultRate  float64       // B7: fraction of produce requests failed
}

func main() {
	var o options
	flag.IntVar(&o.records, "records", 1_000_000, "records per throughput benchmark")
	flag.IntVar(&o.batch, "batch", 1000, "records per input batch in the batched shape")
	flag.IntVar(&o.reps, "reps", 3, "interleaved repetitions (the median is reported)")
	flag.IntVar(&o.memRecords, "mem-records", 10_000_000, "records for the memory benchmark B5 (0 skips it)")
	flag.DurationVar(&o.memDelay, "mem-delay", 20*time.Millisecond, "how long the B5 broker holds each produce request")
	flag.IntVar(&o.partitions, "partitions", 6, "partitions of the benchmark topics")
	flag.StringVar(&o.only, "only", "", "comma-separated benchmark names to run (default: all)")
	flag.StringVar(&o.work, "work", "bin/bench", "working directory for data, configs and logs")
	flag.StringVar(&o.doc, "doc", "docs/benchmarks.md", "markdown file whose generated section is rewritten ('' to skip)")
	flag.StringVar(&o.chart, "chart", "docs/benchmarks.png", "PNG chart to write ('' to skip)")
	flag.DurationVar(&o.sample, "sample", 10*time.Millisecond, "how often a pipeline's metrics and /proc are read")
	flag.DurationVar(&o.profile, "profile", 0, "if set, write a CPU profile of this long from each pipeline's first round to <work>/<name>.pprof")
	flag.StringVar(&o.root, "root", "..", "the Ferry repository; the other paths are relative to it")
	flag.DurationVar(&o.moveEvery, "leader-moves", 2*time.Second, "B7: every partition leader moves this often")
	flag.Float64Var(&o.faultRate, "produce-fault-rate", 0.05, "B7: fraction of produce requests failed with NOT_LEADER_FOR_PARTITION or NOT_ENOUGH_REPLICAS")
	flag.Parse()
	// The harness is its own module (bench/), so that the library's
	// go.mod does not carry its dependencies; it works from the
	// repository's root.
	if err := os.Chdir(o.root); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench is one benchmark row.
type bench struct {
	name    string
	what    string
	shape   string
	ceiling string // the row this one is compared to, if any
	floor   string
	run     func(ctx context.Context, rep int) (measure, error)
}

type env struct {
	o       options
	connect string
	raw     string
	data    *dataset
	sink    *devBroker // storage off: producer benchmarks
	store   *devBroker // keeps records: consumer benchmarks
	calm    *devBroker // three brokers, storage off
	moving  *devBroker // the same, with leaders moving and produce faults: B7
}

// build builds the package pkg of the module in dir to out.
func build(out, dir, pkg string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", abs, pkg)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func run(o options) error {
	start := time.Now()
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	e := &env{o: o, connect: filepath.Join(o.work, "connect"), raw: filepath.Join(o.work, "rawkafka")}
	fmt.Println("== building bin/bench/connect and bin/bench/rawkafka")
	if err := build(e.connect, ".", "./cmd/connect"); err != nil {
		return err
	}
	if err := build(e.raw, "bench", "./rawkafka"); err != nil {
		return err
	}
	fmt.Printf("== writing %d records (%d per batch file) to %s\n", o.records, o.batch, o.work)
	var err error
	if e.data, err = makeDataset(filepath.Join(o.work, "data"), o.records, o.batch); err != nil {
		return err
	}
	topics := []string{"--topic", fmt.Sprintf("bench:%d", o.partitions), "--topic", fmt.Sprintf("bench-avro:%d", o.partitions), "--topic", fmt.Sprintf("bench-out:%d", o.partitions)}
	if e.sink, err = startDev(e.connect, filepath.Join(o.work, "dev-sink.log"), append([]string{"--blackhole-produce"}, topics...)...); err != nil {
		return err
	}
	defer e.sink.stop()
	if e.store, err = startDev(e.connect, filepath.Join(o.work, "dev-store.log"), topics...); err != nil {
		return err
	}
	defer e.store.stop()
	fmt.Printf("== brokers: %s (storage off) and %s (storing, for the consumers)\n", e.sink.brokers, e.store.brokers)
	three := []string{"--brokers", "3", "--blackhole-produce", "--topic", fmt.Sprintf("bench:%d", o.partitions)}
	if e.calm, err = startDev(e.connect, filepath.Join(o.work, "dev-calm.log"), three...); err != nil {
		return err
	}
	defer e.calm.stop()
	if e.moving, err = startDev(e.connect, filepath.Join(o.work, "dev-moving.log"), append(three, "--shuffle-leaders", o.moveEvery.String(), "--produce-fault-rate", fmt.Sprint(o.faultRate))...); err != nil {
		return err
	}
	defer e.moving.stop()

	ctx := context.Background()
	benches := e.benches()
	if o.only != "" {
		keep := map[string]bool{}
		for _, n := range strings.Split(o.only, ",") {
			keep[strings.TrimSpace(n)] = true
		}
		var sel []bench
		for _, b := range benches {
			if keep[b.name] {
				sel = append(sel, b)
			}
		}
		benches = sel
	}
	if needsStore(benches) {
		if err := e.fill(ctx); err != nil {
			return err
		}
	}

	results := map[string][]measure{}
	for rep := 0; rep < o.reps; rep++ {
		for _, b := range benches {
			m, err := b.run(ctx, rep)
			if err != nil {
				return fmt.Errorf("%s (round %d): %w", b.name, rep+1, err)
			}
			fmt.Printf("round %d  %-16s %10.0f msg/s %7.1f MB/s %6.2f CPU s/M %6.0f MiB\n",
				rep+1, b.name, m.rate(), m.mbps(), m.cpuPerM(), float64(m.PeakRSS)/(1<<20))
			results[b.name] = append(results[b.name], m)
		}
	}
	var mem *measure
	if o.memRecords > 0 && (o.only == "" || strings.Contains(o.only, "B5")) {
		m, err := e.memory(ctx)
		if err != nil {
			return fmt.Errorf("B5: %w", err)
		}
		mem = &m
		fmt.Printf("B5  %d records: %.0f msg/s, peak RSS %.0f MiB\n", m.Records, m.rate(), float64(m.PeakRSS)/(1<<20))
	}

	rep := newReport(o, benches, results, mem, time.Since(start))
	fmt.Println()
	fmt.Println(rep.table())
	raw, _ := json.MarshalIndent(map[string]any{"options": fmt.Sprintf("%+v", o), "results": results, "memory": mem}, "", " ")
	if err := os.WriteFile(filepath.Join(o.work, "results.json"), raw, 0o644); err != nil {
		return err
	}
	if o.doc != "" {
		if err := rep.writeDoc(o.doc); err != nil {
			return err
		}
	}
	if o.chart != "" {
		if err := rep.writeChart(o.chart); err != nil {
			return err
		}
	}
	fmt.Printf("== done in %v\n", time.Since(start).Round(time.Second))
	return nil
}

func needsStore(bs []bench) bool {
	for _, b := range bs {
		if strings.HasPrefix(b.name, "B3") || strings.HasPrefix(b.name, "B4") || strings.HasPrefix(b.name, "B6") || strings.HasPrefix(b.name, "raw consumer") {
			return true
		}
	}
	return false
}

// Input shapes, as YAML input sections.
func (e *env) batchedInput() string {
	return fmt.Sprintf(`input:
  file:
    paths: [ %q ]
    scanner:
      to_the_end: {}
  processors:
    - unarchive:
        format: lines
`, e.data.batchedGl)
}

func (e *env) unbatchedInput() string {
	return fmt.Sprintf(`input:
  file:
    paths: [ %q ]
    scanner:
      lines: {}
`, e.data.single)
}

func (e *env) sinkOutput(extra string) string { return sinkTo(e.sink, extra) }

func sinkTo(b *devBroker, extra string) string {
	return fmt.Sprintf(`output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: bench
    key_field: customer_id
%s`, b.brokers, extra)
}

func avroSerializer(registry string) string {
	return fmt.Sprintf(`    value_serializer:
      type: avro_confluent
      schema: '%s'
      schema_registry:
        url: [ %s ]
`, strings.ReplaceAll(strings.ReplaceAll(orderSchema, "\n", ""), "'", "''"), registry)
}

// delivered checks that kafka_sink accounted every record as delivered.
func delivered(n int64) func(metrics) error {
	return func(m metrics) error {
		if got := m.label("kafka_sink_records", "outcome", "delivered"); got != float64(n) {
			return fmt.Errorf("kafka_sink_records{outcome=delivered} = %v, want %d", got, n)
		}
		return nil
	}
}

func (e *env) producer(name, yaml string, check bool) func(context.Context, int) (measure, error) {
	n := int64(e.data.records)
	return func(ctx context.Context, rep int) (measure, error) {
		p := pipeline{yaml: yaml, records: n, bytes: e.data.bytes, finite: true}
		if check {
			p.check = delivered(n)
		}
		return runPipeline(ctx, e.connect, e.o.work, fileName(name), p, e.o.sample, e.profileFor(rep))
	}
}

func (e *env) consumer(name, topic, deser string) func(context.Context, int) (measure, error) {
	n := int64(e.data.records)
	return func(ctx context.Context, rep int) (measure, error) {
		yaml := fmt.Sprintf(`input:
  kafka_source:
    seed_brokers: [ %s ]
    topics: [ %s ]
    consumer_group: %s-%d-%d
%soutput:
  drop: {}
`, e.store.brokers, topic, fileName(name), rep, time.Now().UnixNano(), deser)
		p := pipeline{yaml: yaml, records: n, bytes: e.data.bytes, check: func(m metrics) error {
			if got := m.label("kafka_source_records", "outcome", "delivered"); got < float64(n) {
				return fmt.Errorf("kafka_source_records{outcome=delivered} = %v, want %d", got, n)
			}
			return nil
		}}
		return runPipeline(ctx, e.connect, e.o.work, fileName(name), p, e.o.sample, e.profileFor(rep))
	}
}

// copier is B6: kafka_source → kafka_sink on the storing broker, input
// batches of e.o.batch records, at-least-once or, with txn, exactly-once
// (the sink commits the source's offsets in its transactions).
func (e *env) copier(name string, txn bool) func(context.Context, int) (measure, error) {
	n := int64(e.data.records)
	return func(ctx context.Context, rep int) (measure, error) {
		sinkTxn := ""
		if txn {
			sinkTxn = fmt.Sprintf("    transaction:\n      enabled: true\n      id: %s-%d-%d\n      commit_source: copy_in\n", fileName(name), rep, time.Now().UnixNano())
		}
		yaml := fmt.Sprintf(`input:
  label: copy_in
  kafka_source:
    seed_brokers: [ %[1]s ]
    topics: [ bench ]
    consumer_group: %[2]s-%[3]d-%[4]d
    batching: { count: %[5]d, period: 10ms }
output:
  kafka_sink:
    seed_brokers: [ %[1]s ]
    topic: bench-out
    key: '${! @kafka_key }'
%[6]s`, e.store.brokers, fileName(name), rep, time.Now().UnixNano(), e.o.batch, sinkTxn)
		p := pipeline{yaml: yaml, records: n, bytes: e.data.bytes, check: func(m metrics) error {
			if got := m.label("kafka_source_records", "outcome", "delivered"); got < float64(n) {
				return fmt.Errorf("kafka_source_records{outcome=delivered} = %v, want %d", got, n)
			}
			return nil
		}}
		return runPipeline(ctx, e.connect, e.o.work, fileName(name), p, e.o.sample, e.profileFor(rep))
	}
}

func (e *env) rawConsumer(name, topic string) func(context.Context, int) (measure, error) {
	return func(ctx context.Context, rep int) (measure, error) {
		return runRaw(ctx, e.raw, e.o.work, fileName(name), "consume", "-brokers", e.store.brokers, "-topic", topic,
			"-group", fmt.Sprintf("%s-%d-%d", fileName(name), rep, time.Now().UnixNano()), "-count", fmt.Sprint(e.data.records))
	}
}

// profileFor is how long to profile a pipeline in round rep: only the
// first round is profiled, so the median of three is a clean run.
func (e *env) profileFor(rep int) time.Duration {
	if rep == 0 {
		return e.o.profile
	}
	return 0
}

func fileName(name string) string {
	return strings.NewReplacer(" ", "-", "(", "", ")", "", "/", "-").Replace(name)
}

func (e *env) benches() []bench {
	batched, unbatched := "batched (1000-line files, unarchive: lines)", "unbatched (lines scanner: 1 message per transaction)"
	batched = strings.Replace(batched, "1000", fmt.Sprint(e.o.batch), 1)
	copyShape := fmt.Sprintf("kafka_source batches of %d (`batching: { count: %d, period: 10ms }`)", e.o.batch, e.o.batch)
	avroDeser := fmt.Sprintf(`    value_deserializer:
      type: avro_confluent
      schema_registry:
        url: [ %s ]
`, e.store.registry)
	return []bench{
		{name: "floor batched", what: "host floor: same input → drop", shape: batched,
			run: e.producer("floor batched", e.batchedInput()+"output:\n  drop: {}\n", false)},
		{name: "raw producer", what: "raw franz-go producer, keys computed up front", shape: "records in memory",
			run: func(ctx context.Context, _ int) (measure, error) {
				return runRaw(ctx, e.raw, e.o.work, "raw-producer", append([]string{"produce", "-brokers", e.sink.brokers, "-topic", "bench", "-key-field", "customer_id"}, e.data.files...)...)
			}},
		{name: "B1", what: "kafka_sink, key_field, JSON values", shape: batched, ceiling: "raw producer", floor: "floor batched",
			run: e.producer("B1", e.batchedInput()+e.sinkOutput(""), true)},
		{name: "B8", what: "B1 through Redpanda Connect's `kafka_franz` name (plugin/compat), its defaults set to kafka_sink's", shape: batched, ceiling: "B1", floor: "floor batched",
			run: e.producer("B8", e.batchedInput()+strings.Replace(e.sinkOutput("    max_in_flight: 64\n    max_message_bytes: 1MB\n    client_id: ferry\n    metadata_max_age: 5m\n"), "kafka_sink:", "kafka_franz:", 1), true)},
		{name: "B2", what: "kafka_sink, key_field, avro_confluent values", shape: batched, ceiling: "raw producer", floor: "floor batched",
			run: e.producer("B2", e.batchedInput()+e.sinkOutput(avroSerializer(e.sink.registry)), true)},
		{name: "floor unbatched", what: "host floor: same input → drop", shape: unbatched,
			run: e.producer("floor unbatched", e.unbatchedInput()+"output:\n  drop: {}\n", false)},
		{name: "B1u", what: "kafka_sink at its defaults (minimal config)", shape: unbatched, ceiling: "raw producer", floor: "floor unbatched",
			run: e.producer("B1u", e.unbatchedInput()+e.sinkOutput(""), true)},
		{name: "B1u batching", what: "B1u with `batching: { count: 1000, period: 1ms }`", shape: unbatched, ceiling: "raw producer", floor: "floor unbatched",
			run: e.producer("B1u batching", e.unbatchedInput()+e.sinkOutput("    batching: { count: 1000, period: 1ms }\n"), true)},
		{name: "raw consumer", what: "raw franz-go group consumer", shape: "fetches",
			run: e.rawConsumer("raw consumer", "bench")},
		{name: "B3", what: "kafka_source (group) → drop", shape: "kafka_source default: one batch per partition fetch", ceiling: "raw consumer",
			run: e.consumer("B3", "bench", "")},
		{name: "raw consumer (Avro)", what: "raw franz-go group consumer, Avro topic", shape: "fetches",
			run: e.rawConsumer("raw consumer (Avro)", "bench-avro")},
		{name: "B4", what: "kafka_source, avro_confluent → JSON → drop", shape: "kafka_source default: one batch per partition fetch", ceiling: "raw consumer (Avro)",
			run: e.consumer("B4", "bench-avro", avroDeser)},
		{name: "B7 no faults", what: "kafka_sink at its defaults, three brokers", shape: batched,
			run: e.producer("B7 no faults", e.batchedInput()+sinkTo(e.calm, ""), true)},
		{name: "raw producer (leader moves)", what: "raw franz-go producer at its defaults, leaders moving", shape: "records in memory",
			run: func(ctx context.Context, _ int) (measure, error) {
				return runRaw(ctx, e.raw, e.o.work, "raw-producer-moving", append([]string{"produce", "-brokers", e.moving.brokers, "-topic", "bench", "-key-field", "customer_id"}, e.data.files...)...)
			}},
		{name: "B7", what: fmt.Sprintf("B7 no faults while every leader moves every %v and %.0f%% of produce requests fail (NOT_LEADER, NOT_ENOUGH_REPLICAS)", e.o.moveEvery, e.o.faultRate*100), shape: batched, ceiling: "B7 no faults", floor: "raw producer (leader moves)",
			run: e.producer("B7", e.batchedInput()+sinkTo(e.moving, ""), true)},
		{name: "B6 at-least-once", what: "kafka_source → kafka_sink, at-least-once", shape: copyShape,
			run: e.copier("B6 at-least-once", false)},
		{name: "B6", what: "kafka_source → kafka_sink, exactly-once (`transaction.commit_source`)", shape: copyShape, ceiling: "B6 at-least-once",
			run: e.copier("B6", true)},
	}
}

// fill writes the consumer benchmarks' topics on the storing broker: the
// JSON records with the raw producer, their Avro form with kafka_sink.
func (e *env) fill(ctx context.Context) error {
	fmt.Println("== filling the consumer topics on the storing broker")
	if _, err := runRaw(ctx, e.raw, e.o.work, "fill-json", append([]string{"produce", "-brokers", e.store.brokers, "-topic", "bench", "-key-field", "customer_id"}, e.data.files...)...); err != nil {
		return err
	}
	out := fmt.Sprintf(`output:
  kafka_sink:
    seed_brokers: [ %s ]
    topic: bench-avro
    key_field: customer_id
%s`, e.store.brokers, avroSerializer(e.store.registry))
	_, err := runPipeline(ctx, e.connect, e.o.work, "fill-avro", pipeline{yaml: e.batchedInput() + out, records: int64(e.data.records), bytes: e.data.bytes, finite: true, check: delivered(int64(e.data.records))}, e.o.sample, 0)
	return err
}

// memory is B5: many records into a broker slower than the input, so the
// pipeline runs under back-pressure for its whole length; RSS is sampled
// throughout.
func (e *env) memory(ctx context.Context) (measure, error) {
	dev, err := startDev(e.connect, filepath.Join(e.o.work, "dev-slow.log"), "--blackhole-produce", "--produce-delay", e.o.memDelay.String(),
		"--topic", fmt.Sprintf("bench:%d", e.o.partitions))
	if err != nil {
		return measure{}, err
	}
	defer dev.stop()
	rounds := (e.o.memRecords + e.data.records - 1) / e.data.records
	var b strings.Builder
	b.WriteString("input:\n  sequence:\n    inputs:\n")
	for i := 0; i < rounds; i++ {
		fmt.Fprintf(&b, "      - file:\n          paths: [ %q ]\n          scanner:\n            to_the_end: {}\n", e.data.batchedGl)
	}
	b.WriteString("  processors:\n    - unarchive:\n        format: lines\n")
	n := int64(rounds * e.data.records)
	b.WriteString(fmt.Sprintf("output:\n  kafka_sink:\n    seed_brokers: [ %s ]\n    topic: bench\n    key_field: customer_id\n", dev.brokers))
	fmt.Printf("== B5: %d records into a broker that holds each produce request %v\n", n, e.o.memDelay)
	return runPipeline(ctx, e.connect, e.o.work, "B5", pipeline{yaml: b.String(), records: n, bytes: e.data.bytes * int64(rounds), finite: true,
		check: delivered(n), rssOver: true}, 100*time.Millisecond, 0)
}

func median(ms []measure, f func(measure) float64) float64 {
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s, %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
