package protobuf

import (
	"context"
	"errors"
	"fmt"
	"sync"

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

	refsMu sync.Mutex
	refs   []sr.SchemaReference // the local schema's, once its imports are registered
	refsOK bool
}

func newProtobufConfluentCodec(c serde.Config) (serde.Codec, error) {
	if len(c.Registry.URLs) == 0 {
		return nil, errors.New("protobuf_confluent needs schema_registry.url")
	}
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	p := &protobufConfluentCodec{text: text, message: c.Message, register: c.AutoRegister, latest: c.UseLatest, json: newProtoJSON(c.JSON)}
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

func (p *protobufConfluentCodec) Serialize(ctx context.Context, t serde.Target, payload []byte) ([]byte, error) {
	var id int
	var err error
	md := p.md
	switch {
	case p.latest:
		var ps *protoSchema
		if id, ps, err = p.reg.Latest(ctx, p.subjects.Of(t.Topic, t.Key)); err != nil {
			return nil, err
		}
		if md, err = ps.message(p.message); err != nil {
			return nil, fmt.Errorf("schema ID %d: %w", id, err)
		}
	case p.local == nil:
		return nil, errors.New("protobuf_confluent was configured to decode only: it has no schema to serialize with")
	default:
		refs, err := p.references(ctx)
		if err != nil {
			return nil, err
		}
		if id, err = p.reg.IDOf(ctx, p.subjects.Of(t.Topic, t.Key), sr.Schema{Schema: p.text, Type: sr.TypeProtobuf, References: refs}, p.register); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, confluent.HeaderLen+2+len(payload))
	out, _ = (&sr.ConfluentHeader{}).AppendEncode(out, id, messageIndexes(md))
	return p.json.encode(md, out, payload)
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

func (p *protobufConfluentCodec) Deserialize(ctx context.Context, _ serde.Target, data []byte) ([]byte, error) {
	id, rest, err := confluent.ParseHeader(data)
	if err != nil {
		return nil, err
	}
	idx, body, err := (&sr.ConfluentHeader{}).DecodeIndex(rest, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: message indexes: %v", serde.ErrWireFormat, err)
	}
	ps, err := p.reg.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	md, err := ps.byIndexes(idx)
	if err != nil {
		return nil, fmt.Errorf("schema ID %d: %w", id, err)
	}
	out, err := p.json.decode(md, body)
	if err != nil {
		return nil, fmt.Errorf("schema ID %d: %w", id, err)
	}
	return out, nil
}
