package serde

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

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
	reg       *schemaRegistry[*node]
	local     *node  // nil with use_latest and no schema
	localText string // the local schema, as registered
	subjects  subjects
	register  bool
	latest    bool
	opts      JSONOptions
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
		register:  c.AutoRegister,
		latest:    c.UseLatest,
		opts:      c.JSON,
	}
	name := ""
	if text != "" {
		if cc.local, _, err = compileSchema(text); err != nil {
			return nil, err
		}
		if cc.local.kind == kRecord {
			name = cc.local.name
		}
	} else if !cc.latest && !c.DecodeOnly {
		return nil, errors.New("avro_confluent needs a schema (schema or schema_file) to serialize, unless use_latest is set")
	}
	if cc.subjects, err = newSubjects(c, name); err != nil {
		return nil, err
	}
	if cc.subjects.needsName() && name == "" && !c.DecodeOnly {
		// Decoding goes by the schema ID in each record: no subject.
		return nil, fmt.Errorf("subject_strategy %s needs a local record schema to take the record name from", cc.subjects.strategy)
	}
	cc.reg, err = newRegistry(c.Registry, sr.TypeAvro, c.LatestRefresh, func(_ context.Context, s sr.Schema) (*node, error) {
		n, _, err := compileSchema(s.Schema)
		return n, err
	})
	if err != nil {
		return nil, err
	}
	return cc, nil
}

func (*confluentCodec) TakesJSON() bool { return true }

// SubjectFor names the registry subject for a topic's keys or values.
func (c *confluentCodec) SubjectFor(t Target) string { return c.subjects.of(t) }

func (c *confluentCodec) Serialize(ctx context.Context, t Target, payload []byte) ([]byte, error) {
	if c.local == nil && !c.latest {
		return nil, errors.New("avro_confluent was configured to decode only: it has no schema to serialize with")
	}
	id, n, err := c.writerFor(ctx, c.subjects.of(t))
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
		return c.reg.latest(ctx, subject)
	}
	id, err := c.reg.idOf(ctx, subject, sr.Schema{Schema: c.localText, Type: sr.TypeAvro}, c.register)
	return id, c.local, err
}

func (c *confluentCodec) Deserialize(ctx context.Context, _ Target, data []byte) ([]byte, error) {
	id, body, err := ParseConfluentHeader(data)
	if err != nil {
		return nil, err
	}
	w, err := c.reg.byID(ctx, id)
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
