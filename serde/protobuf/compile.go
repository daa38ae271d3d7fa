package protobuf

import (
	"context"
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
	"google.golang.org/protobuf/reflect/protoreflect"
)

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
	if md != nil && md.IsMapEntry() {
		// A map field's entry is a nested message in the descriptor, but
		// no serializer writes one as a record: a client that counts
		// nested types without map entries would be misread here.
		return nil, fmt.Errorf("%w: message index %v names %s, a map field's entry, not a message", serde.ErrWireFormat, idx, md.FullName())
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
