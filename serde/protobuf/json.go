package protobuf

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ferry-connect/ferry/serde"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

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
		out:   protojson.MarshalOptions{UseProtoNames: o.ProtoNames, UseEnumNumbers: o.EnumNumbers, EmitUnpopulated: o.EmitUnpopulated, EmitDefaultValues: o.EmitDefaultValues},
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
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", md.FullName(), err)
	}
	if out, err = canonicalWire(md, out); err != nil {
		return nil, err
	}
	return append(dst, out...), nil
}

func (p protoJSON) decode(md protoreflect.MessageDescriptor, data []byte) ([]byte, error) {
	// The fast path writes only what is set; zero values are protojson's.
	if plan := p.plans.of(md); plan != nil && !p.opts.EmitUnpopulated && !p.opts.EmitDefaultValues {
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
