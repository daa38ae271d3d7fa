package protobuf

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/serde/internal/jsonw"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func zeroScalar(k protoreflect.Kind, v []byte) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return len(v) == 0
	case protoreflect.FloatKind, protoreflect.DoubleKind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind,
		protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return allZero(v) // +0.0 only: -0.0 has its sign bit set
	}
	x, n := protowire.ConsumeVarint(v)
	if n < 0 {
		return false
	}
	switch k {
	case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.EnumKind, protoreflect.Sint32Kind:
		return uint32(x) == 0 // 32-bit kinds read the low 32 bits
	}
	return x == 0
}

func zeroWire(k protoreflect.Kind) []byte {
	switch wireType(k) {
	case protowire.Fixed32Type:
		return make([]byte, 4)
	case protowire.Fixed64Type:
		return make([]byte, 8)
	case protowire.BytesType:
		return []byte{}
	}
	return []byte{0}
}

// zero appends a scalar's zero value, for a map entry without a value.
func (d *fastDecoder) zero(f *fastField, dst []byte) []byte {
	return d.scalar(f, dst, wireType(f.kind), zeroWire(f.kind))
}

// integer reads an integer of kind k.
func (d *fastDecoder) integer(k protoreflect.Kind, typ protowire.Type, v []byte) (int64, uint64, bool) {
	var x uint64
	var n int
	switch typ {
	case protowire.Fixed32Type:
		var y uint32
		y, n = protowire.ConsumeFixed32(v)
		x = uint64(y)
	case protowire.Fixed64Type:
		x, n = protowire.ConsumeFixed64(v)
	default:
		x, n = protowire.ConsumeVarint(v)
	}
	if n < 0 {
		d.give = true
		return 0, 0, false
	}
	switch k {
	case protoreflect.Int32Kind, protoreflect.EnumKind:
		return int64(int32(x)), 0, true
	case protoreflect.Sint32Kind:
		return int64(int32(protowire.DecodeZigZag(x & math.MaxUint32))), 0, true
	case protoreflect.Sfixed32Kind:
		return int64(int32(uint32(x))), 0, true
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		return int64(x), 0, true
	case protoreflect.Sint64Kind:
		return protowire.DecodeZigZag(x), 0, true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return 0, uint64(uint32(x)), false
	}
	return 0, x, false
}

func (d *fastDecoder) scalar(f *fastField, dst []byte, typ protowire.Type, v []byte) []byte {
	switch f.kind {
	case protoreflect.StringKind:
		return d.str(dst, v)
	case protoreflect.BytesKind:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, '"')
	case protoreflect.BoolKind:
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			d.give = true
		}
		if x != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case protoreflect.FloatKind:
		x, _ := protowire.ConsumeFixed32(v)
		return jsonw.FloatES(dst, float64(math.Float32frombits(x)), 32)
	case protoreflect.DoubleKind:
		x, _ := protowire.ConsumeFixed64(v)
		return jsonw.FloatES(dst, math.Float64frombits(x), 64)
	case protoreflect.EnumKind:
		n, _, _ := d.integer(f.kind, typ, v)
		if !d.enumNo {
			if ev := f.enum.ByNumber(protoreflect.EnumNumber(n)); ev != nil {
				dst = append(dst, '"')
				dst = append(dst, ev.Name()...)
				return append(dst, '"')
			}
		}
		return strconv.AppendInt(dst, n, 10)
	}
	n, u, signed := d.integer(f.kind, typ, v)
	switch f.kind {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		dst = append(dst, '"')
		return append(strconv.AppendInt(dst, n, 10), '"')
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		dst = append(dst, '"')
		return append(strconv.AppendUint(dst, u, 10), '"')
	}
	if signed {
		return strconv.AppendInt(dst, n, 10)
	}
	return strconv.AppendUint(dst, u, 10)
}

// str appends a JSON string as protojson writes it; invalid UTF-8 is
// protojson's error to give.
func (d *fastDecoder) str(dst, v []byte) []byte {
	if !utf8.Valid(v) {
		d.give = true
		return dst
	}
	return jsonw.Bytes(dst, v)
}

// Timestamps protojson accepts: years 1 to 9999.
const (
	minTimestamp = -62135596800
	maxTimestamp = 253402300799
)

func (d *fastDecoder) timestamp(dst, data []byte) []byte {
	var sec, nanos int64
	if !d.fields(data, func(num protowire.Number, typ protowire.Type, val []byte) bool {
		if typ == protowire.VarintType && (num == 1 || num == 2) {
			x, _ := protowire.ConsumeVarint(val)
			if num == 1 {
				sec = int64(x)
			} else {
				nanos = int64(int32(x))
			}
		}
		return true
	}) {
		return dst
	}
	if sec < minTimestamp || sec > maxTimestamp || nanos < 0 || nanos >= 1e9 {
		d.give = true
		return dst
	}
	x := time.Unix(sec, nanos).UTC().Format("2006-01-02T15:04:05.000000000")
	x = strings.TrimSuffix(x, "000")
	x = strings.TrimSuffix(x, "000")
	x = strings.TrimSuffix(x, ".000")
	dst = append(dst, '"')
	dst = append(dst, x...)
	return append(dst, 'Z', '"')
}

// wrapped writes a wrapper's value bare; a wrapper without one holds zero.
func (d *fastDecoder) wrapped(p *fastPlan, dst, data []byte) []byte {
	f := &fastField{kind: p.wrapper}
	want := wireType(p.wrapper)
	val := zeroWire(p.wrapper)
	if !d.fields(data, func(num protowire.Number, typ protowire.Type, v []byte) bool {
		if num == 1 && typ == want {
			val = v
			if p.wrapper == protoreflect.StringKind && !utf8.Valid(v) {
				d.give = true
				return false
			}
		}
		return true
	}) {
		return dst
	}
	return d.scalar(f, dst, want, val)
}
