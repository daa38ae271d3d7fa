package input

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ferry-connect/ferry/plugin/internal/bytesize"
	"github.com/ferry-connect/ferry/plugin/internal/interp"
	"github.com/ferry-connect/ferry/plugin/internal/kafkaconn"
	"github.com/ferry-connect/ferry/plugin/internal/serdefield"
)

type sourceConfig struct {
	conn *kafkaconn.Config

	topics   []string                        // whole topics (or regexps)
	explicit map[string]map[int32]kgo.Offset // topic:partition forms
	regex    bool
	group    string
	start    kgo.Offset

	instanceID       string        // static membership, with a group
	rebalanceTimeout time.Duration // with a group

	multiHeader bool

	checkpointLimit int
	commitPeriod    time.Duration
	lagRefresh      time.Duration
	batching        service.BatchPolicy

	keyCodec   serdefield.Named
	valueCodec serdefield.Named
	onError    string
	dlqTopic   interp.Field

	opts []kgo.Opt // consumer and group options
}

func parseConfig(conf *service.ParsedConfig) (*sourceConfig, error) {
	if err := rules.Check(conf); err != nil {
		return nil, err
	}
	c := &sourceConfig{}
	var err error
	if c.conn, err = kafkaconn.Parse(conf); err != nil {
		return nil, err
	}
	if c.group, err = conf.FieldString(fieldGroup); err != nil {
		return nil, err
	}
	if c.start, err = parseStart(conf); err != nil {
		return nil, err
	}
	raw, err := conf.FieldStringList(fieldTopics)
	if err != nil {
		return nil, err
	}
	for _, item := range raw {
		for _, t := range strings.Split(item, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if !strings.Contains(t, ":") {
				c.topics = append(c.topics, t)
				continue
			}
			if err := c.addExplicit(t); err != nil {
				return nil, fmt.Errorf("field %s: %w", fieldTopics, err)
			}
		}
	}
	exclude, err := c.parseRegexps(conf)
	if err != nil {
		return nil, err
	}
	if c.multiHeader, err = conf.FieldBool(fieldMultiHeader); err != nil {
		return nil, err
	}

	if c.checkpointLimit, err = conf.FieldInt(fieldCheckpointLimit); err != nil {
		return nil, err
	}
	if c.checkpointLimit < 1 {
		return nil, fmt.Errorf("field %s: must be at least 1", fieldCheckpointLimit)
	}
	if c.commitPeriod, err = conf.FieldDuration(fieldCommitPeriod); err != nil {
		return nil, err
	}
	if c.commitPeriod < 100*time.Millisecond {
		return nil, fmt.Errorf("field %s: %v is below the 100ms minimum", fieldCommitPeriod, c.commitPeriod)
	}
	lagField := fieldLagRefresh
	if !conf.Contains(lagField) {
		lagField = fieldTopicLagRefresh // Redpanda Connect's spelling
	}
	if c.lagRefresh, err = conf.FieldDuration(lagField); err != nil {
		return nil, err
	}
	if c.batching, err = conf.FieldBatchPolicy(fieldBatching); err != nil {
		return nil, err
	}
	if c.keyCodec, err = serdefield.Parse(conf, fieldKeyDeserializer, serdefield.Decode); err != nil {
		return nil, err
	}
	if c.valueCodec, err = serdefield.Parse(conf, fieldValueDeserializer, serdefield.Decode); err != nil {
		return nil, err
	}
	if c.onError, err = conf.FieldString(fieldOnError); err != nil {
		return nil, err
	}
	if c.onError == onErrorDLQ {
		topic, err := conf.FieldInterpolatedString(fieldDLQ, "topic")
		if err != nil {
			return nil, fmt.Errorf("field %s.topic: %w", fieldDLQ, err)
		}
		c.dlqTopic = interp.New(topic)
	}

	if c.opts, err = c.clientOpts(conf, exclude); err != nil {
		return nil, err
	}
	return c, nil
}

// parseRegexps reads regexp_topics_include, or regexp_topics (which makes
// the listed topics regexps), and returns regexp_topics_exclude.
func (c *sourceConfig) parseRegexps(conf *service.ParsedConfig) ([]string, error) {
	include, err := conf.FieldStringList(fieldRegexpInclude)
	if err != nil {
		return nil, err
	}
	listed, err := conf.FieldBool(fieldRegexpTopics)
	if err != nil {
		return nil, err
	}
	if len(include) > 0 || listed {
		c.regex = true
		c.topics = append(c.topics, include...)
	}
	return conf.FieldStringList(fieldRegexpExclude)
}

// addExplicit reads topic:partition, topic:from-to and
// topic:partition:offset.
func (c *sourceConfig) addExplicit(s string) error {
	parts := strings.Split(s, ":")
	if len(parts) > 3 || parts[0] == "" {
		return fmt.Errorf("%q: want topic, topic:partition, topic:from-to or topic:partition:offset", s)
	}
	if c.explicit == nil {
		c.explicit = map[string]map[int32]kgo.Offset{}
	}
	if c.explicit[parts[0]] == nil {
		c.explicit[parts[0]] = map[int32]kgo.Offset{}
	}
	from, to, isRange := strings.Cut(parts[1], "-")
	lo, err := strconv.ParseInt(from, 10, 32)
	if err != nil || lo < 0 {
		return fmt.Errorf("%q: partition %q is not a number", s, from)
	}
	hi := lo
	if isRange {
		if len(parts) == 3 {
			return fmt.Errorf("%q: an offset goes with one partition, not a range", s)
		}
		if hi, err = strconv.ParseInt(to, 10, 32); err != nil || hi < lo {
			return fmt.Errorf("%q: bad partition range", s)
		}
	}
	off := c.start
	if len(parts) == 3 {
		o, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil || o < 0 {
			return fmt.Errorf("%q: offset %q is not a number", s, parts[2])
		}
		off = kgo.NewOffset().At(o)
	}
	for p := lo; p <= hi; p++ {
		c.explicit[parts[0]][int32(p)] = off
	}
	return nil
}

func parseStart(conf *service.ParsedConfig) (kgo.Offset, error) {
	s, err := conf.FieldString(fieldStartOffset)
	if err != nil {
		return kgo.Offset{}, err
	}
	oldest, err := conf.FieldBool(fieldStartFromOldest)
	if err != nil {
		return kgo.Offset{}, err
	}
	if !oldest && s == "earliest" {
		// kafka_franz's older spelling, over start_offset's default.
		s = "latest"
	}
	switch s {
	case "earliest":
		return kgo.NewOffset().AtStart(), nil
	case "latest":
		return kgo.NewOffset().AtEnd(), nil
	case "committed":
		return kgo.NewOffset().AtCommitted(), nil
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return kgo.Offset{}, fmt.Errorf("field %s: %q is not earliest, latest, committed or an RFC 3339 timestamp", fieldStartOffset, s)
	}
	return kgo.NewOffset().AfterMilli(ts.UnixMilli()), nil
}

// fetchOpts reads the fetch sizes and wait.
func fetchOpts(conf *service.ParsedConfig) ([]kgo.Opt, error) {
	maxBytes, err := bytesize.Field(conf, fieldFetchMaxBytes, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	partBytes, err := bytesize.Field(conf, fieldFetchPartBytes, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	minBytes, err := bytesize.Field(conf, fieldFetchMinBytes, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	maxWait, err := conf.FieldDuration(fieldFetchMaxWait)
	if err != nil {
		return nil, err
	}
	return []kgo.Opt{
		kgo.FetchMaxBytes(int32(maxBytes)), kgo.FetchMaxPartitionBytes(int32(partBytes)),
		kgo.FetchMinBytes(int32(minBytes)), kgo.FetchMaxWait(maxWait),
	}, nil
}

func (c *sourceConfig) clientOpts(conf *service.ParsedConfig, exclude []string) ([]kgo.Opt, error) {
	opts, err := fetchOpts(conf)
	if err != nil {
		return nil, err
	}
	rack, err := conf.FieldString(fieldRackID)
	if err != nil {
		return nil, err
	}
	if rack != "" {
		opts = append(opts, kgo.Rack(rack))
	}
	// Transaction markers come back as records so that the commit can
	// pass them (ingest.go); they never become messages.
	opts = append(opts, kgo.KeepControlRecords())
	iso, err := conf.FieldString(fieldIsolation)
	if err != nil {
		return nil, err
	}
	if iso == "read_committed" {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	if len(c.explicit) > 0 {
		opts = append(opts, kgo.ConsumePartitions(c.explicit))
		if len(c.topics) == 0 {
			return opts, nil
		}
	}
	// Whole topics, which without a group may stand beside explicit
	// partitions of other topics (the lint rule refuses one topic both
	// ways).
	opts = append(opts, kgo.ConsumeTopics(c.topics...), kgo.ConsumeResetOffset(c.start))
	if c.regex {
		opts = append(opts, kgo.ConsumeRegex())
		if len(exclude) > 0 {
			opts = append(opts, kgo.ConsumeExcludeTopics(exclude...))
		}
	}
	if c.group == "" {
		return opts, nil
	}
	opts = append(opts, kgo.ConsumerGroup(c.group), kgo.AutoCommitMarks(), kgo.AutoCommitInterval(c.commitPeriod))
	protocol, err := conf.FieldString(fieldGroupProtocol)
	if err != nil {
		return nil, err
	}
	if protocol == protocolConsumer {
		// KIP-848: the broker assigns (with kgo's default
		// cooperative-sticky balancer named, the broker's "uniform"
		// assignor).
		opts = append(opts, kgo.ServerSideBalancer())
	}
	if c.instanceID, err = conf.FieldString(fieldInstanceID); err != nil {
		return nil, err
	}
	if c.instanceID != "" {
		opts = append(opts, kgo.InstanceID(c.instanceID))
	}
	for _, d := range []struct {
		field string
		opt   func(time.Duration) kgo.GroupOpt
		dst   *time.Duration
	}{
		{fieldSessionTimeout, kgo.SessionTimeout, nil},
		{fieldRebalanceTimeout, kgo.RebalanceTimeout, &c.rebalanceTimeout},
		{fieldHeartbeatInterval, kgo.HeartbeatInterval, nil},
	} {
		v, err := conf.FieldDuration(d.field)
		if err != nil {
			return nil, err
		}
		if d.dst != nil {
			*d.dst = v
		}
		opts = append(opts, d.opt(v))
	}
	return opts, nil
}
