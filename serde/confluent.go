package serde

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

func init() {
	MustRegister("avro_confluent", newConfluentCodec)
}

// Subject strategies, as Confluent's serializers name them.
const (
	StrategyTopicName       = "topic_name"
	StrategyRecordName      = "record_name"
	StrategyTopicRecordName = "topic_record_name"
)

// Wire-format errors. Each decoding failure wraps one of these, so callers
// can tell a record that is not in the Confluent format from one whose
// schema cannot be had.
var (
	ErrWireFormat    = errors.New("not Confluent wire format")
	ErrUnknownSchema = errors.New("schema ID not found in the registry")
	// ErrRegistryUnavailable wraps failures to reach the registry (a
	// network error or a 5xx answer): the registry's state, not the
	// record's, so callers should retry rather than dead-letter.
	ErrRegistryUnavailable = errors.New("schema registry unavailable")
)

// registryErr marks transport failures and server errors as
// ErrRegistryUnavailable; answers about the request itself (4xx) are left
// as they are.
func registryErr(err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && re.StatusCode < 500 {
		return err
	}
	return fmt.Errorf("%w: %w", ErrRegistryUnavailable, err)
}

// confluentHeaderLen is the magic byte plus the 4-byte schema ID.
const confluentHeaderLen = 5

// ParseConfluentHeader splits a Confluent wire-format record into its
// schema ID and Avro body.
func ParseConfluentHeader(data []byte) (id int, body []byte, err error) {
	if len(data) < confluentHeaderLen {
		return 0, nil, fmt.Errorf("%w: %d bytes, shorter than the 5-byte header", ErrWireFormat, len(data))
	}
	switch data[0] {
	case 0:
	case 1:
		// Confluent's newer serializers can frame a record with its
		// schema's GUID instead of its ID (magic byte 1); docs/serde.md.
		return 0, nil, fmt.Errorf("%w: magic byte 0x01 (the schema is named by GUID, not ID): not supported; configure the producer's serializer to write schema IDs (magic byte 0x00)", ErrWireFormat)
	default:
		return 0, nil, fmt.Errorf("%w: magic byte is %#02x, want 0x00", ErrWireFormat, data[0])
	}
	return int(binary.BigEndian.Uint32(data[1:5])), data[5:], nil
}

// AppendConfluentHeader appends the magic byte and the schema ID.
func AppendConfluentHeader(dst []byte, id int) []byte {
	return binary.BigEndian.AppendUint32(append(dst, 0), uint32(id))
}

type confluentCodec struct {
	cl        *sr.Client
	local     *node  // nil with use_latest and no schema
	localText string // the local schema, as registered
	localName string // full name of the local record, for the record strategies
	subject   string
	strategy  string
	register  bool
	latest    bool
	refresh   time.Duration
	opts      JSONOptions
	maxCache  int

	mu     sync.RWMutex
	ids    map[string]int          // subject -> ID of the local schema
	byID   map[int]*node           // writer schemas
	newest map[string]latestSchema // subject -> latest schema
}

type latestSchema struct {
	id      int
	node    *node
	fetched time.Time
}

func newConfluentCodec(c Config) (Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("avro_confluent needs schema_registry.url")
	}
	text, err := schemaText(c)
	if err != nil {
		return nil, err
	}
	cc := &confluentCodec{
		localText: text,
		subject:   c.Subject,
		strategy:  c.SubjectStrategy,
		register:  c.AutoRegister,
		latest:    c.UseLatest,
		refresh:   c.LatestRefresh,
		opts:      c.JSON,
		maxCache:  c.Registry.CacheSize,
		ids:       map[string]int{},
		byID:      map[int]*node{},
		newest:    map[string]latestSchema{},
	}
	if cc.maxCache <= 0 {
		cc.maxCache = 1000
	}
	if cc.refresh <= 0 {
		cc.refresh = 5 * time.Minute
	}
	if cc.strategy == "" {
		cc.strategy = StrategyTopicName
	}
	switch cc.strategy {
	case StrategyTopicName, StrategyRecordName, StrategyTopicRecordName:
	default:
		return nil, fmt.Errorf("subject_strategy %q: want topic_name, record_name or topic_record_name", cc.strategy)
	}
	if text != "" {
		if cc.local, _, err = compileSchema(text); err != nil {
			return nil, err
		}
		if cc.local.kind == kRecord {
			cc.localName = cc.local.name
		}
	} else if !cc.latest && !c.DecodeOnly {
		return nil, errors.New("avro_confluent needs a schema (schema or schema_file) to serialize, unless use_latest is set")
	}
	if cc.subject == "" && cc.strategy != StrategyTopicName && cc.localName == "" && !c.DecodeOnly {
		// Decoding goes by the schema ID in each record: no subject.
		return nil, fmt.Errorf("subject_strategy %s needs a local record schema to take the record name from", cc.strategy)
	}

	opts := []sr.ClientOpt{sr.URLs(c.Registry.URLs...), sr.UserAgent("ferry")}
	timeout := c.Registry.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.Registry.TLS != nil {
		tr.TLSClientConfig = c.Registry.TLS.Clone()
	}
	opts = append(opts, sr.HTTPClient(&http.Client{Timeout: timeout, Transport: tr}))
	if c.Registry.Username != "" {
		opts = append(opts, sr.BasicAuth(c.Registry.Username, c.Registry.Password))
	}
	if c.Registry.Token != "" {
		opts = append(opts, sr.BearerToken(c.Registry.Token))
	}
	if cc.cl, err = sr.NewClient(opts...); err != nil {
		return nil, fmt.Errorf("schema_registry: %w", err)
	}
	return cc, nil
}

func (*confluentCodec) TakesJSON() bool { return true }

// SubjectFor names the registry subject for a topic's keys or values.
func (c *confluentCodec) SubjectFor(t Target) string {
	if c.subject != "" {
		return c.subject
	}
	suffix := "-value"
	if t.Key {
		suffix = "-key"
	}
	switch c.strategy {
	case StrategyRecordName:
		return c.localName
	case StrategyTopicRecordName:
		return t.Topic + "-" + c.localName
	}
	return t.Topic + suffix
}

func (c *confluentCodec) Serialize(ctx context.Context, t Target, payload []byte) ([]byte, error) {
	if c.local == nil && !c.latest {
		return nil, errors.New("avro_confluent was configured to decode only: it has no schema to serialize with")
	}
	subject := c.SubjectFor(t)
	id, n, err := c.writerFor(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := make([]byte, confluentHeaderLen, confluentHeaderLen+len(payload))
	out = AppendConfluentHeader(out[:0], id)
	return jsonToAvro(n, c.opts, out, payload)
}

// writerFor returns the schema ID and schema to encode with for subject.
func (c *confluentCodec) writerFor(ctx context.Context, subject string) (int, *node, error) {
	if c.latest {
		return c.latestFor(ctx, subject)
	}
	c.mu.RLock()
	id, ok := c.ids[subject]
	c.mu.RUnlock()
	if ok {
		return id, c.local, nil
	}
	schema := sr.Schema{Schema: c.localText, Type: sr.TypeAvro}
	var ss sr.SubjectSchema
	var err error
	if c.register {
		ss, err = c.cl.CreateSchema(ctx, subject, schema)
		if err != nil {
			return 0, nil, fmt.Errorf("registering the schema under subject %q: %w", subject, registryErr(err))
		}
	} else {
		ss, err = c.cl.LookupSchema(ctx, subject, schema)
		if err != nil {
			return 0, nil, fmt.Errorf("looking the schema up under subject %q (auto_register is off): %w", subject, registryErr(err))
		}
	}
	c.mu.Lock()
	if len(c.ids) >= c.maxCache {
		clear(c.ids)
	}
	c.ids[subject] = ss.ID
	c.mu.Unlock()
	return ss.ID, c.local, nil
}

func (c *confluentCodec) latestFor(ctx context.Context, subject string) (int, *node, error) {
	c.mu.RLock()
	l, ok := c.newest[subject]
	c.mu.RUnlock()
	if ok && time.Since(l.fetched) < c.refresh {
		return l.id, l.node, nil
	}
	ss, err := c.cl.SchemaByVersion(ctx, subject, -1)
	if err != nil {
		if ok {
			// Keep encoding with what we had while the registry is away.
			return l.id, l.node, nil
		}
		return 0, nil, fmt.Errorf("fetching the latest schema of subject %q: %w", subject, registryErr(err))
	}
	n, err := c.schemaByID(ctx, ss.ID, ss.Schema.Schema)
	if err != nil {
		return 0, nil, err
	}
	c.mu.Lock()
	if len(c.newest) >= c.maxCache {
		clear(c.newest)
	}
	c.newest[subject] = latestSchema{id: ss.ID, node: n, fetched: time.Now()}
	c.mu.Unlock()
	return ss.ID, n, nil
}

// schemaByID returns the compiled writer schema for id, fetching it once.
func (c *confluentCodec) schemaByID(ctx context.Context, id int, text string) (*node, error) {
	c.mu.RLock()
	n, ok := c.byID[id]
	c.mu.RUnlock()
	if ok {
		return n, nil
	}
	if text == "" {
		s, err := c.cl.SchemaByID(ctx, id)
		if err != nil {
			var re *sr.ResponseError
			if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
				return nil, fmt.Errorf("%w: schema ID %d: %v", ErrUnknownSchema, id, err)
			}
			return nil, fmt.Errorf("fetching schema ID %d: %w", id, registryErr(err))
		}
		if s.Type != sr.TypeAvro {
			return nil, fmt.Errorf("schema ID %d is %s, not Avro", id, s.Type)
		}
		text = s.Schema
	}
	n, _, err := compileSchema(text)
	if err != nil {
		return nil, fmt.Errorf("schema ID %d: %w", id, err)
	}
	c.mu.Lock()
	if len(c.byID) >= c.maxCache {
		clear(c.byID)
	}
	c.byID[id] = n
	c.mu.Unlock()
	return n, nil
}

func (c *confluentCodec) Deserialize(ctx context.Context, _ Target, data []byte) ([]byte, error) {
	id, body, err := ParseConfluentHeader(data)
	if err != nil {
		return nil, err
	}
	w, err := c.schemaByID(ctx, id, "")
	if err != nil {
		return nil, err
	}
	r := c.local
	if r == nil {
		r = w
	}
	out, err := avroToJSON(w, r, c.opts, nil, body)
	if err != nil {
		return nil, fmt.Errorf("schema ID %d: %w", id, err)
	}
	return out, nil
}
