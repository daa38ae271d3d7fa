// Package devcluster runs a throwaway Kafka-protocol broker (franz-go's
// kfake) and a Confluent-compatible schema registry (srfake) in one
// process, for quick starts, examples, tests and benchmarks. It is not a
// Kafka server to keep data in: it has no replication and stores data on
// disk only when given a data directory.
package devcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Config says what to start.
type Config struct {
	// Host is the address both servers listen on; 127.0.0.1 by default.
	Host string
	// KafkaPort is the first broker's port; brokers take consecutive ports.
	// 0 picks free ports.
	KafkaPort int
	// Brokers is the number of brokers (at least 1).
	Brokers int
	// RegistryPort is the schema registry's port; 0 picks a free port, -1
	// starts no registry.
	RegistryPort int
	// Topics are created at start, as name -> partitions.
	Topics map[string]int32
	// DefaultPartitions is the partition count of auto-created topics.
	DefaultPartitions int32
	// AutoCreateTopics lets producers create topics by writing to them,
	// as Kafka's auto.create.topics.enable does.
	AutoCreateTopics bool
	// DataDir, when set, persists the broker's state there across runs.
	DataDir string
	// BrokerConfigs are broker-level configs, such as message.max.bytes.
	BrokerConfigs map[string]string
	// BlackholeProduce acknowledges produced records without storing
	// them (offsets still advance, idempotent sequences are still
	// checked), so producer benchmarks measure the client, not the
	// broker's memory. Nothing can be read back.
	BlackholeProduce bool
	// ProduceDelay holds every produce request this long before the
	// broker answers it: a slow broker, for back-pressure and memory
	// tests. Other requests are not delayed.
	ProduceDelay time.Duration
	// Extra are additional kfake options, for tests (SASL, TLS, ACLs).
	Extra []kfake.Opt
	// Chaos simulates a rolling restart (leaders moving, produce
	// requests failing) for as long as the cluster runs.
	Chaos Chaos
	// AsIs leaves kfake's known defects as they are (see Mend): for
	// tests that reproduce them.
	AsIs bool
}

// Cluster is a running dev cluster.
type Cluster struct {
	Kafka    *kfake.Cluster
	Registry *srfake.Registry
	mended   func() // stops Mend's helpers
	chaos    *ChaosRun

	registryURL string
	srv         *http.Server
}

// ParseTopic reads a `name` or `name:partitions` topic flag.
func ParseTopic(s string) (string, int32, error) {
	name, parts, found := strings.Cut(s, ":")
	if name == "" {
		return "", 0, fmt.Errorf("topic %q: empty name", s)
	}
	if !found {
		return name, -1, nil
	}
	n, err := strconv.ParseInt(parts, 10, 32)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("topic %q: partitions must be a positive number", s)
	}
	return name, int32(n), nil
}

// Start starts the broker(s) and the registry.
func Start(c Config) (*Cluster, error) {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Brokers < 1 {
		c.Brokers = 1
	}
	ports := make([]int, c.Brokers)
	for i := range ports {
		if c.KafkaPort > 0 {
			ports[i] = c.KafkaPort + i
		}
	}
	host := c.Host
	opts := []kfake.Opt{
		kfake.NumBrokers(c.Brokers),
		kfake.Ports(ports...),
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, port))
		}),
	}
	if c.DefaultPartitions > 0 {
		opts = append(opts, kfake.DefaultNumPartitions(int(c.DefaultPartitions)))
	}
	if c.AutoCreateTopics {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	for name, parts := range c.Topics {
		opts = append(opts, kfake.SeedTopics(parts, name))
	}
	if c.DataDir != "" {
		opts = append(opts, kfake.DataDir(c.DataDir))
	}
	if len(c.BrokerConfigs) > 0 {
		opts = append(opts, kfake.BrokerConfigs(c.BrokerConfigs))
	}
	if c.BlackholeProduce {
		opts = append(opts, kfake.BlackholeProduce())
	}
	opts = append(opts, c.Extra...)
	kc, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("starting the Kafka broker: %w", err)
	}
	if c.ProduceDelay > 0 {
		slowProduce(kc, c.ProduceDelay)
	}
	cl := &Cluster{Kafka: kc}
	if c.Chaos != (Chaos{}) {
		cl.chaos = StartChaos(kc, c.Chaos)
	}
	if !c.AsIs {
		if cl.mended, err = Mend(kc); err != nil {
			kc.Close()
			return nil, err
		}
	}
	if c.RegistryPort >= 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(c.RegistryPort)))
		if err != nil {
			kc.Close()
			return nil, fmt.Errorf("starting the schema registry: %w", err)
		}
		cl.Registry = NewRegistry()
		cl.srv = &http.Server{Handler: cl.Registry.Handler(), ReadHeaderTimeout: 10 * time.Second}
		cl.registryURL = "http://" + ln.Addr().String()
		go func() { _ = cl.srv.Serve(ln) }()
	}
	return cl, nil
}

// slowProduce delays every produce request by d. The control function
// sleeps with SleepControl, which lets the broker serve other connections
// (fetches, metadata, groups) meanwhile, then leaves the request to the
// broker's normal handling.
func slowProduce(kc *kfake.Cluster, d time.Duration) {
	kc.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		kc.SleepControl(func() { time.Sleep(d) })
		return nil, nil, false
	})
}

// Brokers returns the brokers' addresses.
func (c *Cluster) Brokers() []string { return c.Kafka.ListenAddrs() }

// RegistryURL returns the schema registry's URL, or "" when none runs.
func (c *Cluster) RegistryURL() string { return c.registryURL }

// Close stops both servers.
func (c *Cluster) Close() error {
	var err error
	if c.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if e := c.srv.Shutdown(ctx); e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = e
		}
	}
	if c.chaos != nil {
		c.chaos.Stop()
	}
	if c.mended != nil {
		c.mended()
	}
	c.Kafka.Close()
	return err
}
