package protobuf

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The NaNs Java writes, and with it Confluent's serializers: Go's
// math.NaN() sets a payload bit (0x7ff8000000000001).
const (
	canonicalNaN64 = 0x7ff8000000000000
	canonicalNaN32 = 0x7fc00000
)

// canonicalWire rewrites the slow path's output the way Confluent's
// serializers write the same message: fields in field-number order at
// every depth (protobuf-go's deterministic order puts oneof members last)
// and every NaN the canonical one. Repeated values keep their order.
func canonicalWire(md protoreflect.MessageDescriptor, b []byte) ([]byte, error) {
	type seg struct {
		num  protowire.Number
		data []byte
	}
	var segs []seg
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return nil, fmt.Errorf("%s: %w", md.FullName(), protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return nil, fmt.Errorf("%s: %w", md.FullName(), protowire.ParseError(m))
		}
		data := rest[:n+m]
		if fd := md.Fields().ByNumber(num); fd != nil {
			var err error
			if data, err = canonicalField(fd, typ, n, data); err != nil {
				return nil, err
			}
		}
		segs = append(segs, seg{num, data})
		rest = rest[n+m:]
	}
	slices.SortStableFunc(segs, func(x, y seg) int { return int(x.num) - int(y.num) })
	out := make([]byte, 0, len(b))
	for _, s := range segs {
		out = append(out, s.data...)
	}
	return out, nil
}

// canonicalField rewrites one field (its tag is the first n bytes of
// data): a nested message in order, a NaN canonical.
func canonicalField(fd protoreflect.FieldDescriptor, typ protowire.Type, n int, data []byte) ([]byte, error) {
	switch {
	case typ == protowire.BytesType && fd.Message() != nil:
		body, _ := protowire.ConsumeBytes(data[n:])
		inner, err := canonicalWire(fd.Message(), body)
		if err != nil {
			return nil, err
		}
		return protowire.AppendBytes(slices.Clone(data[:n]), inner), nil
	case fd.Kind() == protoreflect.DoubleKind, fd.Kind() == protoreflect.FloatKind:
		out := slices.Clone(data)
		body := out[n:]
		if typ == protowire.BytesType { // packed
			_, m := protowire.ConsumeVarint(body)
			body = body[m:]
		}
		canonicalNaNs(fd.Kind(), body)
		return out, nil
	}
	return data, nil
}

// canonicalNaNs makes every NaN in b, a run of little-endian floats of
// kind k, the canonical one.
func canonicalNaNs(k protoreflect.Kind, b []byte) {
	if k == protoreflect.DoubleKind {
		for i := 0; i+8 <= len(b); i += 8 {
			if math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))) {
				binary.LittleEndian.PutUint64(b[i:], canonicalNaN64)
			}
		}
		return
	}
	for i := 0; i+4 <= len(b); i += 4 {
		if math.IsNaN(float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))) {
			binary.LittleEndian.PutUint32(b[i:], canonicalNaN32)
		}
	}
}
