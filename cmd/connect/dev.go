package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ferry-connect/ferry/internal/devcluster"
)

// devCommand is `connect dev`: a Kafka-protocol broker and a schema
// registry in this process, for trying Ferry out. Not for real data.
func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "Run a throwaway Kafka broker (kfake) and schema registry (srfake) on loopback",
		Description: `Starts franz-go's kfake Kafka-protocol broker and srfake schema registry in
this process, prints their addresses, and runs until interrupted (SIGINT or
SIGTERM). It is meant for quick starts, examples, tests and benchmarks: there
is no replication, and data lives in memory unless --data-dir is given.
Against a real cluster, point seed_brokers and schema_registry.url at it
instead.

Example:
  connect dev --topic orders:6 --topic payments:3`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "address to listen on"},
			&cli.IntFlag{Name: "port", Value: 9092, Usage: "port of the first broker; further brokers take the next ports (0: any free port)"},
			&cli.IntFlag{Name: "registry-port", Value: 8081, Usage: "schema registry port (0: any free port, -1: no registry)"},
			&cli.IntFlag{Name: "brokers", Value: 1, Usage: "number of brokers"},
			&cli.StringSliceFlag{Name: "topic", Usage: "topic to create, as name or name:partitions (repeatable)"},
			&cli.IntFlag{Name: "default-partitions", Value: 3, Usage: "partitions of topics created without a count or by auto-creation"},
			&cli.BoolFlag{Name: "auto-create-topics", Value: true, Usage: "create topics when a client first writes to them"},
			&cli.StringFlag{Name: "data-dir", Usage: "persist broker state in this directory across runs (default: memory only)"},
			&cli.BoolFlag{Name: "blackhole-produce", Usage: "acknowledge produced records without storing them (storage off, for producer benchmarks; nothing can be read back)"},
			&cli.DurationFlag{Name: "produce-delay", Usage: "hold every produce request this long before answering it (a slow broker, for back-pressure tests)"},
			&cli.StringSliceFlag{Name: "broker-config", Usage: "broker config as key=value, e.g. message.max.bytes=1048588 (repeatable)"},
			&cli.DurationFlag{Name: "shuffle-leaders", Usage: "move every partition's leader to another broker this often (with --brokers > 1): a rolling restart, for testing clients"},
			&cli.Float64Flag{Name: "produce-fault-rate", Usage: "fail this fraction of produce requests with NOT_LEADER_FOR_PARTITION or NOT_ENOUGH_REPLICAS"},
		},
		Action: runDev,
		Subcommands: []*cli.Command{
			{
				Name:      "count",
				Usage:     "Read a topic from start to end and print how many records each partition holds",
				ArgsUsage: "TOPIC",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "brokers", Value: cli.NewStringSlice("127.0.0.1:9092"), Usage: "seed brokers"},
					&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "give up after this long"},
				},
				Action: runCount,
			},
		},
	}
}

func runDev(c *cli.Context) error {
	conf := devcluster.Config{
		Host:              c.String("host"),
		KafkaPort:         c.Int("port"),
		RegistryPort:      c.Int("registry-port"),
		Brokers:           c.Int("brokers"),
		DefaultPartitions: int32(c.Int("default-partitions")),
		AutoCreateTopics:  c.Bool("auto-create-topics"),
		DataDir:           c.String("data-dir"),
		BlackholeProduce:  c.Bool("blackhole-produce"),
		ProduceDelay:      c.Duration("produce-delay"),
		Chaos: devcluster.Chaos{
			ShuffleLeadersEvery: c.Duration("shuffle-leaders"),
			ProduceFaultRate:    c.Float64("produce-fault-rate"),
		},
		Topics:        map[string]int32{},
		BrokerConfigs: map[string]string{},
	}
	for _, t := range c.StringSlice("topic") {
		name, parts, err := devcluster.ParseTopic(t)
		if err != nil {
			return cli.Exit("--topic: "+err.Error(), 2)
		}
		conf.Topics[name] = parts
	}
	for _, kv := range c.StringSlice("broker-config") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cli.Exit(fmt.Sprintf("--broker-config %q: want key=value", kv), 2)
		}
		conf.BrokerConfigs[k] = v
	}
	cl, err := devcluster.Start(conf)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	fmt.Printf("connect dev: Kafka broker(s) at %s\n", strings.Join(cl.Brokers(), ","))
	if u := cl.RegistryURL(); u != "" {
		fmt.Printf("connect dev: schema registry at %s\n", u)
	}
	fmt.Println("connect dev: for development only (no replication); stop with Ctrl-C")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		fmt.Printf("connect dev: %v received, stopping\n", s)
	case <-c.Context.Done():
	}
	signal.Stop(sig)
	if err := cl.Close(); err != nil {
		return cli.Exit("stopping: "+err.Error(), 1)
	}
	fmt.Println("connect dev: stopped")
	return nil
}

func runCount(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("usage: connect dev count [--brokers host:port] TOPIC", 2)
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	var brokers []string
	for _, b := range c.StringSlice("brokers") {
		brokers = append(brokers, strings.Split(b, ",")...)
	}
	topic := c.Args().First()
	counts, err := devcluster.Count(ctx, brokers, topic)
	if err != nil {
		return cli.Exit(err.Error(), 1)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PARTITION\tRECORDS\tDISTINCT KEYS\tNULL KEYS")
	total := 0
	for _, pc := range counts {
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\n", pc.Partition, pc.Records, pc.Keys, pc.NullKeys)
		total += pc.Records
	}
	fmt.Fprintf(w, "total\t%d\t\t\n", total)
	return w.Flush()
}
