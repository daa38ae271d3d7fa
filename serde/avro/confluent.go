package avro

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
)

func init() {
	serde.MustRegister(ConfluentType, newConfluentCodec)
}

type confluentCodec struct {
	reg       *confluent.Registry[*node]
	localText string // the local schema, as registered
	subjects  confluent.Subjects
	scope     string // the subject ID lookups are scoped to, when set
	register  bool
	latest    bool
	framing   string
	opts      serde.JSONOptions
	defaultID int
	mapSchema func(string) (string, error)

	// local is the compiled local schema (nil with use_latest and no
	// schema). A schema with references is compiled on first use, once
	// they have been fetched from the registry.
	localMu sync.Mutex
	local   atomic.Pointer[node]
	refs    []sr.SchemaReference // the local schema's, versions resolved
	refsSet []sr.SchemaReference // as configured
}

func newConfluentCodec(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("avro_confluent needs schema_registry.url")
	}
	if err := confluent.CheckFraming(c.SchemaIDLocation); err != nil {
		return nil, err
	}
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	cc := &confluentCodec{
		localText: text,
		register:  c.AutoRegister,
		latest:    c.UseLatest,
		framing:   c.SchemaIDLocation,
		opts:      c.JSON,
		scope:     c.Subject,
		refsSet:   c.References,
		defaultID: c.DefaultSchemaID,
		mapSchema: c.MapSchema,
	}
	name := ""
	switch {
	case text != "" && len(c.References) > 0:
		// The record's name is what the record strategies need; the
		// schema itself cannot compile without its references.
		if name, err = recordName(text); err != nil {
			return nil, err
		}
	case text != "":
		n, _, err := compileSchema(text)
		if err != nil {
			return nil, err
		}
		cc.local.Store(n)
		if n.kind == kRecord {
			name = n.name
		}
	case len(c.References) > 0:
		return nil, errors.New("avro_confluent: references name what the local schema refers to, and there is no schema")
	case !cc.latest && !c.DecodeOnly:
		return nil, errors.New("avro_confluent needs a schema (schema or schema_file) to serialize, unless use_latest is set")
	}
	if cc.subjects, err = confluent.NewSubjects(c.Subject, c.SubjectStrategy, name); err != nil {
		return nil, err
	}
	if cc.subjects.NeedsName() && name == "" && !c.DecodeOnly {
		// Decoding goes by the schema ID in each record: no subject.
		return nil, fmt.Errorf("subject_strategy %s needs a local record schema to take the record name from", cc.subjects.Strategy())
	}
	cc.reg, err = confluent.NewRegistry(c.Registry, sr.TypeAvro, c.LatestRefresh, func(ctx context.Context, s sr.Schema) (*node, error) {
		refs, err := cc.reg.ReferenceList(ctx, s.References)
		if err != nil {
			return nil, err
		}
		ts, err := cc.mapped(append(texts(refs), s.Schema))
		if err != nil {
			return nil, err
		}
		n, _, err := compileWithRefs(ts[len(ts)-1], ts[:len(ts)-1])
		return n, err
	})
	if err != nil {
		return nil, err
	}
	return cc, nil
}

func texts(refs []confluent.Reference) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Text
	}
	return out
}

func (*confluentCodec) TakesJSON() bool { return true }

// SubjectFor names the registry subject for a topic's keys or values.
func (c *confluentCodec) SubjectFor(t serde.Target) string { return c.subjects.Of(t.Topic, t.Key) }

// SchemaHeader names the header this codec frames with, so that a sink
// replaces a stale one copied from another record's metadata.
func (c *confluentCodec) SchemaHeader(key bool) string { return confluent.SchemaHeader(key) }

func (c *confluentCodec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	id, n, err := c.writerFor(ctx, c.subjects.Of(t.Topic, t.Key))
	if err != nil {
		return nil, err
	}
	out, err := confluent.AppendFrame(make([]byte, 0, confluent.HeaderLen+len(payload)), t.Headers, t.Key, c.framing, id, nil)
	if err != nil {
		return nil, err
	}
	return jsonToAvro(n, c.opts, out, payload)
}

// writerFor returns the schema ID and schema to encode with for subject.
func (c *confluentCodec) writerFor(ctx context.Context, subject string) (confluent.Ident, *node, error) {
	guid := c.framing == confluent.FramingHeader
	if c.latest {
		return c.reg.LatestIdent(ctx, subject, guid)
	}
	if c.localText == "" {
		return confluent.Ident{}, nil, errors.New("avro_confluent was configured to decode only: it has no schema to serialize with")
	}
	n, err := c.localNode(ctx)
	if err != nil {
		return confluent.Ident{}, nil, err
	}
	id, err := c.reg.IdentOf(ctx, subject, sr.Schema{Schema: c.localText, Type: sr.TypeAvro, References: c.refs}, c.register, guid)
	return id, n, err
}

// localNode returns the compiled local schema, fetching its references
// and compiling it on first use. A failure (the registry away) is tried
// again on the next record.
func (c *confluentCodec) localNode(ctx context.Context) (*node, error) {
	if n := c.local.Load(); n != nil || c.localText == "" {
		return n, nil
	}
	c.localMu.Lock()
	defer c.localMu.Unlock()
	if n := c.local.Load(); n != nil {
		return n, nil
	}
	list, err := c.reg.ReferenceList(ctx, c.refsSet)
	if err != nil {
		return nil, fmt.Errorf("the local schema's references: %w", err)
	}
	n, _, err := compileWithRefs(c.localText, texts(list))
	if err != nil {
		return nil, err
	}
	byName := map[string]confluent.Reference{}
	for _, r := range list {
		byName[r.Name] = r
	}
	refs := make([]sr.SchemaReference, len(c.refsSet))
	for i, r := range c.refsSet {
		refs[i] = sr.SchemaReference{Name: r.Name, Subject: r.Subject, Version: byName[r.Name].Version}
	}
	c.refs = refs
	c.local.Store(n)
	return n, nil
}

func (c *confluentCodec) Deserialize(ctx context.Context, t serde.Target, data []byte) ([]byte, error) {
	f, err := confluent.ReadFrameOr(t.Headers, t.Key, data, false, c.defaultID)
	if err != nil {
		return nil, err
	}
	w, err := c.reg.ByRef(ctx, f.Schema, c.scope)
	if err != nil {
		return nil, err
	}
	r, err := c.localNode(ctx)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = w
	}
	out, err := avroToJSON(w, r, c.opts, nil, f.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Schema, err)
	}
	return out, nil
}

// recordName is the full name of the record a schema text defines, read
// without compiling it (its references may not be at hand yet); "" when
// the schema is not a record.
func recordName(text string) (string, error) {
	var s struct {
		Type      any    `json:"type"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	}
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return "", fmt.Errorf("invalid Avro schema: %w", err)
	}
	if s.Type != "record" || s.Name == "" {
		return "", nil
	}
	if s.Namespace == "" || strings.Contains(s.Name, ".") {
		return s.Name, nil
	}
	return s.Namespace + "." + s.Name, nil
}

// mapped applies the schema mapping, when there is one, to each text.
func (c *confluentCodec) mapped(ts []string) ([]string, error) {
	if c.mapSchema == nil {
		return ts, nil
	}
	for i, t := range ts {
		m, err := c.mapSchema(t)
		if err != nil {
			return nil, fmt.Errorf("mapping the schema: %w", err)
		}
		ts[i] = m
	}
	return ts, nil
}
