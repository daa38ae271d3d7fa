package protobuf

import (
	"context"
	"errors"

	"github.com/ferry-connect/ferry/serde"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func init() {
	serde.MustRegister("protobuf", newProtobufCodec)
	serde.MustRegister(ConfluentType, newProtobufConfluentCodec)
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
