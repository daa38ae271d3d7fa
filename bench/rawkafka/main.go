// Command rawkafka is the ceiling Ferry's benchmarks are measured against:
// the same records produced or consumed by a bare franz-go client, with no
// Benthos pipeline, no serializer and no accounting in the way.
//
//	rawkafka produce -brokers B -topic T -key-field customer_id FILE...
//	rawkafka consume -brokers B -topic T -group G -count N
//
// produce reads every line of the files and extracts each record's key
// before the clock starts (the ceiling does no per-record work it could do
// up front), then produces them all asynchronously with the producer
// settings kafka_sink uses by default (acks all, idempotent, snappy,
// murmur2 partitioning, 10,000 buffered records) and waits for every
// acknowledgement. consume joins a fresh group and reads until it has seen
// N records. Both print one JSON line: records, bytes, seconds (first
// record to last), cpu_seconds over the same span.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Result is what one run reports.
type Result struct {
	Records    int64   `json:"records"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: rawkafka produce|consume [flags]"))
	}
	var (
		res Result
		err error
	)
	switch os.Args[1] {
	case "produce":
		res, err = produce(os.Args[2:])
	case "consume":
		res, err = consume(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rawkafka:", err)
	os.Exit(1)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func produce(args []string) (Result, error) {
	fs := flag.NewFlagSet("produce", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "seed brokers, comma-separated")
	topic := fs.String("topic", "", "topic")
	keyField := fs.String("key-field", "", "top-level JSON string field whose value is the key")
	_ = fs.Parse(args)

	recs, bytes, err := load(fs.Args(), *topic, *keyField)
	if err != nil {
		return Result{}, err
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.SnappyCompression()),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchMaxBytes(1_000_000),
		kgo.MaxBufferedRecords(10_000),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
	)
	if err != nil {
		return Result{}, err
	}
	defer cl.Close()
	ctx := context.Background()
	if err := cl.Ping(ctx); err != nil {
		return Result{}, err
	}

	var (
		wg    sync.WaitGroup
		first atomic.Pointer[error]
	)
	cpu0, t0 := cpuSeconds(), time.Now()
	wg.Add(len(recs))
	for _, r := range recs {
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				first.CompareAndSwap(nil, &err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	res := Result{Records: int64(len(recs)), Bytes: bytes, Seconds: time.Since(t0).Seconds(), CPUSeconds: cpuSeconds() - cpu0}
	if e := first.Load(); e != nil {
		return res, fmt.Errorf("producing: %w", *e)
	}
	return res, nil
}

// load reads the records and their keys up front.
func load(files []string, topic, keyField string) ([]*kgo.Record, int64, error) {
	var (
		recs  []*kgo.Record
		bytes int64
	)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := append([]byte(nil), sc.Bytes()...)
			r := &kgo.Record{Topic: topic, Value: line}
			if keyField != "" {
				var m map[string]json.RawMessage
				if err := json.Unmarshal(line, &m); err != nil {
					f.Close()
					return nil, 0, fmt.Errorf("%s: %w", name, err)
				}
				var k string
				if err := json.Unmarshal(m[keyField], &k); err == nil {
					r.Key = []byte(k)
				}
			}
			bytes += int64(len(line))
			recs = append(recs, r)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, 0, err
		}
	}
	return recs, bytes, nil
}

func consume(args []string) (Result, error) {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "seed brokers, comma-separated")
	topic := fs.String("topic", "", "topic")
	group := fs.String("group", "", "consumer group (a fresh one reads from the start)")
	count := fs.Int64("count", 0, "stop after this many records")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	_ = fs.Parse(args)

	// The fetch settings are kafka_source's defaults.
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(50<<20),
		kgo.FetchMaxPartitionBytes(1<<20),
		kgo.FetchMaxWait(5*time.Second),
	)
	if err != nil {
		return Result{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var (
		res       Result
		t0        time.Time
		cpu0      float64
		started   bool
		lastCount int64
	)
	for res.Records < *count {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("read %d of %d records: %w", res.Records, *count, err)
		}
		fetches.EachError(func(t string, p int32, err error) {
			fmt.Fprintf(os.Stderr, "rawkafka: fetch %s/%d: %v\n", t, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if !started {
				started, t0, cpu0 = true, time.Now(), cpuSeconds()
			}
			res.Records++
			res.Bytes += int64(len(r.Value))
		})
		lastCount = res.Records
	}
	res.Seconds, res.CPUSeconds, res.Records = time.Since(t0).Seconds(), cpuSeconds()-cpu0, lastCount
	return res, nil
}
