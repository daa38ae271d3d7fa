package avro

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
)

func init() {
	serde.MustRegister("avro_confluent", newConfluentCodec)
}

type confluentCodec struct {
	reg       *confluent.Registry[*node]
	local     *node  // nil with use_latest and no schema
	localText string // the local schema, as registered
	subjects  confluent.Subjects
	register  bool
	latest    bool
	opts      serde.JSONOptions
}

func newConfluentCodec(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("avro_confluent needs schema_registry.url")
	}
	text, err := c.SchemaText()
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
	if cc.subjects, err = confluent.NewSubjects(c.Subject, c.SubjectStrategy, name); err != nil {
		return nil, err
	}
	if cc.subjects.NeedsName() && name == "" && !c.DecodeOnly {
		// Decoding goes by the schema ID in each record: no subject.
		return nil, fmt.Errorf("subject_strategy %s needs a local record schema to take the record name from", cc.subjects.Strategy())
	}
	cc.reg, err = confluent.NewRegistry(c.Registry, sr.TypeAvro, c.LatestRefresh, func(_ context.Context, s sr.Schema) (*node, error) {
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
func (c *confluentCodec) SubjectFor(t serde.Target) string { return c.subjects.Of(t.Topic, t.Key) }

func (c *confluentCodec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	if c.local == nil && !c.latest {
		return nil, errors.New("avro_confluent was configured to decode only: it has no schema to serialize with")
	}
	id, n, err := c.writerFor(ctx, c.subjects.Of(t.Topic, t.Key))
	if err != nil {
		return nil, err
	}
	out := make([]byte, confluent.HeaderLen, confluent.HeaderLen+len(payload))
	out = confluent.AppendHeader(out[:0], id)
	return jsonToAvro(n, c.opts, out, payload)
}

// writerFor returns the schema ID and schema to encode with for subject.
func (c *confluentCodec) writerFor(ctx context.Context, subject string) (int, *node, error) {
	if c.latest {
		return c.reg.Latest(ctx, subject)
	}
	id, err := c.reg.IDOf(ctx, subject, sr.Schema{Schema: c.localText, Type: sr.TypeAvro}, c.register)
	return id, c.local, err
}

func (c *confluentCodec) Deserialize(ctx context.Context, _ serde.Target, data []byte) ([]byte, error) {
	id, body, err := confluent.ParseHeader(data)
	if err != nil {
		return nil, err
	}
	w, err := c.reg.ByID(ctx, id)
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
