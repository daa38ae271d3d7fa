package protobuf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protobufConfluentCodec is Confluent's Protobuf wire format: a zero byte,
// the 4-byte schema ID, the message indexes, then the message's bytes.
type protobufConfluentCodec struct {
	reg      *confluent.Registry[*protoSchema]
	local    *protoSchema // nil when decoding only, or with use_latest and no schema
	text     string
	message  string
	md       protoreflect.MessageDescriptor // the local message type
	subjects confluent.Subjects
	register bool
	latest   bool
	json     protoJSON
	framing  string
	scope    string // the subject ID lookups are scoped to, when set

	anyMessage bool         // AnyMessage
	lastAny    atomic.Value // the protoreflect.FullName that last took a payload

	refsMu sync.Mutex
	refs   []sr.SchemaReference // the local schema's, once its imports are registered
	refsOK bool
}

func newProtobufConfluentCodec(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("protobuf_confluent needs schema_registry.url")
	}
	if err := confluent.CheckFraming(c.SchemaIDLocation); err != nil {
		return nil, err
	}
	if c.DefaultSchemaID != 0 {
		return nil, errors.New("protobuf_confluent: a default schema ID cannot be used: a record without a frame has no message indexes to name its message")
	}
	if len(c.References) > 0 {
		return nil, errors.New("protobuf_confluent: references are not used for Protobuf; the schema's imports are found through import_paths and registered under their paths")
	}
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	p := &protobufConfluentCodec{text: text, message: c.Message, register: c.AutoRegister, latest: c.UseLatest, json: newProtoJSON(c.JSON),
		framing: c.SchemaIDLocation, scope: c.Subject, anyMessage: c.AnyMessage}
	name := ""
	if text != "" {
		if p.local, err = compileProto(context.Background(), text, c.ImportPaths, nil); err != nil {
			return nil, err
		}
		if p.md, err = p.local.message(c.Message); err != nil {
			return nil, err
		}
		name = string(p.md.FullName())
	} else if !p.latest && !c.DecodeOnly {
		return nil, errors.New("protobuf_confluent needs a schema (schema or schema_file) to serialize, unless use_latest is set")
	}
	if p.latest && name == "" {
		name = c.Message
	}
	if p.subjects, err = confluent.NewSubjects(c.Subject, c.SubjectStrategy, name); err != nil {
		return nil, err
	}
	if p.subjects.NeedsName() && name == "" && !c.DecodeOnly {
		return nil, fmt.Errorf("subject_strategy %s needs a message name: set message or schema", p.subjects.Strategy())
	}
	p.reg, err = confluent.NewRegistry(c.Registry, sr.TypeProtobuf, c.LatestRefresh, func(ctx context.Context, s sr.Schema) (*protoSchema, error) {
		refs, err := p.reg.References(ctx, s)
		if err != nil {
			return nil, err
		}
		return compileProto(ctx, s.Schema, nil, refs)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (*protobufConfluentCodec) TakesJSON() bool { return true }

// SubjectFor names the registry subject for a topic's keys or values.
func (p *protobufConfluentCodec) SubjectFor(t serde.Target) string {
	return p.subjects.Of(t.Topic, t.Key)
}

// SchemaHeader names the header this codec frames with, so that a sink
// replaces a stale one copied from another record's metadata.
func (p *protobufConfluentCodec) SchemaHeader(key bool) string { return confluent.SchemaHeader(key) }

func (p *protobufConfluentCodec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	id, md, err := p.writerFor(ctx, p.subjects.Of(t.Topic, t.Key))
	if err != nil {
		return nil, err
	}
	if p.anyMessage && p.latest && p.message == "" {
		return p.serializeAny(t, id, md.ParentFile().Messages(), payload)
	}
	return p.serializeAs(t, id, md, payload)
}

// serializeAs frames and encodes payload as message md.
func (p *protobufConfluentCodec) serializeAs(t serde.Target, id confluent.Ident, md protoreflect.MessageDescriptor, payload []byte) ([]byte, error) {
	idx := confluent.AppendIndexes(make([]byte, 0, 4), messageIndexes(md))
	out, err := confluent.AppendFrame(make([]byte, 0, confluent.HeaderLen+len(idx)+len(payload)), t.Headers, t.Key, p.framing, id, idx)
	if err != nil {
		return nil, err
	}
	return p.json.encode(md, out, payload)
}

// serializeAny encodes payload as the first of msgs it parses as, the
// last message that took a payload first (AnyMessage).
func (p *protobufConfluentCodec) serializeAny(t serde.Target, id confluent.Ident, msgs protoreflect.MessageDescriptors, payload []byte) ([]byte, error) {
	last, _ := p.lastAny.Load().(protoreflect.FullName)
	order := make([]protoreflect.MessageDescriptor, 0, msgs.Len())
	for i := range msgs.Len() {
		if msgs.Get(i).FullName() == last {
			order = append([]protoreflect.MessageDescriptor{msgs.Get(i)}, order...)
		} else {
			order = append(order, msgs.Get(i))
		}
	}
	var errs []error
	for _, md := range order {
		out, err := p.serializeAs(t, id, md, payload)
		if err == nil {
			p.lastAny.Store(md.FullName())
			return out, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("the payload is none of the schema's messages: %w", errors.Join(errs...))
}

// writerFor returns the schema ID and message type to encode with for
// subject.
func (p *protobufConfluentCodec) writerFor(ctx context.Context, subject string) (confluent.Ident, protoreflect.MessageDescriptor, error) {
	guid := p.framing == confluent.FramingHeader
	if p.latest {
		id, ps, err := p.reg.LatestIdent(ctx, subject, guid)
		if err != nil {
			return id, nil, err
		}
		md, err := ps.message(p.message)
		if err != nil {
			return id, nil, fmt.Errorf("schema ID %d: %w", id.ID, err)
		}
		return id, md, nil
	}
	if p.local == nil {
		return confluent.Ident{}, nil, errors.New("protobuf_confluent was configured to decode only: it has no schema to serialize with")
	}
	refs, err := p.references(ctx)
	if err != nil {
		return confluent.Ident{}, nil, err
	}
	id, err := p.reg.IdentOf(ctx, subject, sr.Schema{Schema: p.text, Type: sr.TypeProtobuf, References: refs}, p.register, guid)
	return id, p.md, err
}

// references registers (or, with auto_register off, looks up) the files
// the local schema imports, each under its import path as Confluent's
// serializers do, and returns the references to them.
func (p *protobufConfluentCodec) references(ctx context.Context) ([]sr.SchemaReference, error) {
	p.refsMu.Lock()
	defer p.refsMu.Unlock()
	if p.refsOK {
		return p.refs, nil
	}
	versions := map[string]int{}
	refsTo := func(paths []string) []sr.SchemaReference {
		var refs []sr.SchemaReference
		for _, path := range paths {
			refs = append(refs, sr.SchemaReference{Name: path, Subject: path, Version: versions[path]})
		}
		return refs
	}
	for _, d := range p.local.deps {
		s := sr.Schema{Schema: d.text, Type: sr.TypeProtobuf, References: refsTo(d.imports)}
		var ss sr.SubjectSchema
		var err error
		if p.register {
			ss, err = p.reg.Client().CreateSchema(ctx, d.path, s)
		} else {
			ss, err = p.reg.Client().LookupSchema(ctx, d.path, s)
		}
		if err != nil {
			return nil, fmt.Errorf("the schema's import %q (subject %q): %w", d.path, d.path, confluent.Unavailable(err))
		}
		versions[d.path] = ss.Version
	}
	var direct []string
	imps := p.local.file.Imports()
	for i := range imps.Len() {
		if _, ok := versions[imps.Get(i).Path()]; ok {
			direct = append(direct, imps.Get(i).Path())
		}
	}
	p.refs, p.refsOK = refsTo(direct), true
	return p.refs, nil
}

func (p *protobufConfluentCodec) Deserialize(ctx context.Context, t serde.Target, data []byte) ([]byte, error) {
	f, err := confluent.ReadFrame(t.Headers, t.Key, data, true)
	if err != nil {
		return nil, err
	}
	ps, err := p.reg.ByRef(ctx, f.Schema, p.scope)
	if err != nil {
		return nil, err
	}
	md, err := ps.byIndexes(f.Indexes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Schema, err)
	}
	out, err := p.json.decode(md, f.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Schema, err)
	}
	return out, nil
}
