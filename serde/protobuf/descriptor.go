package protobuf

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
)

// FileDescriptor compiles a .proto schema, its imports found among refs
// (by import path) or Protobuf's standard files, and returns its
// FileDescriptorProto, serialized, named name: the form a Confluent
// registry answers `?format=serialized` with, which Confluent's clients
// ask for instead of the .proto text.
func FileDescriptor(ctx context.Context, name, text string, refs map[string]string) ([]byte, error) {
	ps, err := compileProto(ctx, text, nil, refs)
	if err != nil {
		return nil, err
	}
	fd := protodesc.ToFileDescriptorProto(ps.file)
	fd.Name = proto.String(name)
	return proto.MarshalOptions{Deterministic: true}.Marshal(fd)
}
