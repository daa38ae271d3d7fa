package protobuf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/confluent"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

func init() {
	serde.MustRegister("protobuf", newProtobufCodec)
	serde.MustRegister("protobuf_confluent", newProtobufConfluentCodec)
}

// protoSchema is a compiled .proto file and what registering it needs.
type protoSchema struct {
	file linker.File
	// deps are the files it imports, directly or not, that are not
	// Protobuf's standard files, each after its own imports: Confluent's
	// serializers register each under its import path and refer to it.
	deps []protoDep
}

type protoDep struct {
	path, text string
	imports    []string // its own non-standard imports
}

// protoRootName is the name the schema itself is compiled under; imports
// are resolved relative to import_paths, never to it.
const protoRootName = "ferry_schema.proto"

// compileProto compiles text. Its imports are found, in order, among refs
// (a registered schema's references, by the names it imports them by),
// in importPaths, and among Protobuf's standard files (the well-known
// types).
func compileProto(ctx context.Context, text string, importPaths []string, refs map[string]string) (*protoSchema, error) {
	var mu sync.Mutex
	read := map[string]string{}
	find := func(path string) (protocompile.SearchResult, error) {
		if path == protoRootName {
			return protocompile.SearchResult{Source: strings.NewReader(text)}, nil
		}
		if t, ok := refs[path]; ok {
			mu.Lock()
			read[path] = t
			mu.Unlock()
			return protocompile.SearchResult{Source: strings.NewReader(t)}, nil
		}
		for _, dir := range importPaths {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return protocompile.SearchResult{}, err
			}
			mu.Lock()
			read[path] = string(b)
			mu.Unlock()
			return protocompile.SearchResult{Source: strings.NewReader(string(b))}, nil
		}
		return protocompile.SearchResult{}, fmt.Errorf("import %q: %w (looked in the schema's references and import_paths %v)", path, fs.ErrNotExist, importPaths)
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(protocompile.ResolverFunc(find)),
		MaxParallelism: 1,
	}
	files, err := c.Compile(ctx, protoRootName)
	if err != nil {
		return nil, fmt.Errorf("invalid .proto schema: %w", err)
	}
	ps := &protoSchema{file: files[0]}
	seen := map[string]bool{}
	var walk func(f protoreflect.FileDescriptor) []string
	walk = func(f protoreflect.FileDescriptor) []string {
		var direct []string
		imps := f.Imports()
		for i := range imps.Len() {
			imp := imps.Get(i).FileDescriptor
			text, ours := read[imp.Path()]
			if !ours {
				continue // a standard file
			}
			direct = append(direct, imp.Path())
			if seen[imp.Path()] {
				continue
			}
			seen[imp.Path()] = true
			sub := walk(imp)
			ps.deps = append(ps.deps, protoDep{path: imp.Path(), text: text, imports: sub})
		}
		return direct
	}
	walk(ps.file)
	return ps, nil
}

// message finds the message type called name, or the file's first.
func (ps *protoSchema) message(name string) (protoreflect.MessageDescriptor, error) {
	if name == "" {
		if ps.file.Messages().Len() == 0 {
			return nil, errors.New("the .proto schema defines no message")
		}
		return ps.file.Messages().Get(0), nil
	}
	md, ok := ps.file.FindDescriptorByName(protoreflect.FullName(name)).(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("message %q: no such message in the schema (full names include the package, e.g. shop.v1.Order)", name)
	}
	return md, nil
}

// byIndexes follows Confluent's message indexes: the position of the
// message among the file's top-level messages, then among each message's
// nested ones.
func (ps *protoSchema) byIndexes(idx []int) (protoreflect.MessageDescriptor, error) {
	msgs := ps.file.Messages()
	var md protoreflect.MessageDescriptor
	for depth, i := range idx {
		if i < 0 || i >= msgs.Len() {
			return nil, fmt.Errorf("%w: message index %v: no message %d at depth %d", serde.ErrWireFormat, idx, i, depth)
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	if md == nil {
		return nil, fmt.Errorf("%w: no message indexes", serde.ErrWireFormat)
	}
	return md, nil
}

// messageIndexes is where md sits in its file, as Confluent's framing
// names it.
func messageIndexes(md protoreflect.MessageDescriptor) []int {
	var idx []int
	for d := protoreflect.Descriptor(md); ; d = d.Parent() {
		m, ok := d.(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		idx = append(idx, m.Index())
	}
	for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx
}

// protoJSON converts between JSON and a message's wire bytes with
// protojson's rules (docs/serde.md lists them). Encoding tries the fast
// path first (protobuf_fast.go).
type protoJSON struct {
	opts  serde.JSONOptions
	in    protojson.UnmarshalOptions
	out   protojson.MarshalOptions
	plans *fastPlans
}

func newProtoJSON(o serde.JSONOptions) protoJSON {
	return protoJSON{
		opts:  o,
		in:    protojson.UnmarshalOptions{DiscardUnknown: o.IgnoreExtraFields},
		out:   protojson.MarshalOptions{UseProtoNames: o.ProtoNames, UseEnumNumbers: o.EnumNumbers},
		plans: &fastPlans{},
	}
}

func (p protoJSON) encode(md protoreflect.MessageDescriptor, dst, payload []byte) ([]byte, error) {
	if plan := p.plans.of(md); plan != nil {
		if out, ok := fastEncode(plan, dst, payload); ok {
			return out, nil
		}
	}
	m := dynamicpb.NewMessage(md)
	if err := p.in.Unmarshal(payload, m); err != nil {
		return nil, fmt.Errorf("JSON to %s: %w", md.FullName(), err)
	}
	out, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", md.FullName(), err)
	}
	return out, nil
}

func (p protoJSON) decode(md protoreflect.MessageDescriptor, data []byte) ([]byte, error) {
	if plan := p.plans.of(md); plan != nil {
		if out, ok := fastDecode(plan, p.opts, make([]byte, 0, 2*len(data)+16), data); ok {
			return out, nil
		}
	}
	m := dynamicpb.NewMessage(md)
	if err := unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: %w", md.FullName(), err)
	}
	out, err := p.out.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%s to JSON: %w", md.FullName(), err)
	}
	// protojson varies its spacing on purpose, from build to build; a
	// pipeline's output should not.
	var b bytes.Buffer
	b.Grow(len(out))
	if err := json.Compact(&b, out); err != nil {
		return nil, fmt.Errorf("%s to JSON: %w", md.FullName(), err)
	}
	return b.Bytes(), nil
}

// protobufCodec is a message's Protobuf bytes, with no header: both sides
// know the schema and the message type.
type protobufCodec struct {
	md   protoreflect.MessageDescriptor
	json protoJSON
}

func newProtobufCodec(c serde.Config) (serde.Codec, error) {
	text, err := c.SchemaText()
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, errors.New("protobuf needs a schema (schema or schema_file)")
	}
	ps, err := compileProto(context.Background(), text, c.ImportPaths, nil)
	if err != nil {
		return nil, err
	}
	md, err := ps.message(c.Message)
	if err != nil {
		return nil, err
	}
	return &protobufCodec{md: md, json: newProtoJSON(c.JSON)}, nil
}

func (*protobufCodec) TakesJSON() bool { return true }

func (p *protobufCodec) Serialize(_ context.Context, _ serde.Target, payload []byte) ([]byte, error) {
	return p.json.encode(p.md, make([]byte, 0, len(payload)), payload)
}

func (p *protobufCodec) Deserialize(_ context.Context, _ serde.Target, data []byte) ([]byte, error) {
	return p.json.decode(p.md, data)
}

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

// unmarshal is proto.Unmarshal, with its panics turned into errors.
// protobuf-go v1.36 panics on some malformed map entries in dynamic
// messages (a key written twice, the second time with the wrong wire
// type: "cannot convert nil to map key"; FuzzProtobufDecode found it).
// One bad record must fail alone, not take the pipeline down.
func unmarshal(data []byte, m proto.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed Protobuf: %v", r)
		}
	}()
	return proto.Unmarshal(data, m)
}
