package protobuf

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/internal/jsonscan"
	"github.com/ferry-connect/ferry/serde/internal/jsonw"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// scalar appends a non-message value (no tag).
func (e *fastEncoder) scalar(f *fastField, dst []byte) []byte {
	switch f.kind {
	case protoreflect.StringKind:
		if e.s.Next() != jsonscan.StringValue {
			e.give = true
			return dst
		}
		v := e.s.ReadString()
		if !utf8.Valid(v) {
			e.give = true
		}
		return protowire.AppendBytes(dst, v)
	case protoreflect.BytesKind:
		if e.s.Next() != jsonscan.StringValue {
			e.give = true
			return dst
		}
		v := e.s.ReadString()
		e.scratch = append(e.scratch[:0], make([]byte, base64.StdEncoding.DecodedLen(len(v)))...)
		m, err := base64.StdEncoding.Strict().Decode(e.scratch, v)
		if err != nil {
			e.give = true // the URL-safe alphabet, or no padding: protojson reads those
			return dst
		}
		return protowire.AppendBytes(dst, e.scratch[:m])
	case protoreflect.BoolKind:
		if e.s.Next() != jsonscan.BoolValue {
			e.give = true
			return dst
		}
		if e.s.ReadBool() {
			return protowire.AppendVarint(dst, 1)
		}
		return protowire.AppendVarint(dst, 0)
	case protoreflect.EnumKind:
		var n int32
		switch e.s.Next() {
		case jsonscan.StringValue:
			v := f.enum.ByName(protoreflect.Name(e.s.ReadString()))
			if v == nil {
				e.give = true
				return dst
			}
			n = int32(v.Number())
		default:
			e.give = true
			return dst
		}
		return protowire.AppendVarint(dst, uint64(int64(n)))
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		bits := 64
		if f.kind == protoreflect.FloatKind {
			bits = 32
		}
		var v float64
		var err error
		switch e.s.Next() {
		case jsonscan.NumberValue:
			text := e.s.ReadNumber()
			if v, err = strconv.ParseFloat(string(text), bits); err != nil || !jsonNumber(text) {
				e.give = true
				return dst
			}
		case jsonscan.StringValue:
			// "NaN", "Infinity", "-Infinity"; other strings (a quoted
			// number) go to protojson.
			if v, err = jsonw.ParseSpecial(string(e.s.ReadString())); err != nil {
				e.give = true
				return dst
			}
		default:
			e.give = true
			return dst
		}
		if bits == 32 {
			return protowire.AppendFixed32(dst, math.Float32bits(float32(v)))
		}
		return protowire.AppendFixed64(dst, math.Float64bits(v))
	}
	var text []byte
	switch e.s.Next() {
	case jsonscan.NumberValue:
		text = e.s.ReadNumber()
	case jsonscan.StringValue:
		text = e.s.ReadString()
	default:
		e.give = true
		return dst
	}
	return e.integer(f.kind, text, dst)
}

// integer appends an integer of kind k written as plain decimal digits;
// other forms (1.0, 1e2) go to protojson.
func (e *fastEncoder) integer(k protoreflect.Kind, text []byte, dst []byte) []byte {
	if !decimal(text) {
		e.give = true
		return dst
	}
	size := 64
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind, protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		size = 32
	}
	var v uint64
	var err error
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		var x int64
		x, err = strconv.ParseInt(string(text), 10, size)
		v = uint64(x) // sign-extended, as Protobuf writes negative ints
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v, err = strconv.ParseUint(string(text), 10, size)
	default:
		err = strconv.ErrSyntax
	}
	if err != nil {
		e.give = true
		return dst
	}
	switch k {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.AppendVarint(dst, protowire.EncodeZigZag(int64(v)))
	case protoreflect.Sfixed32Kind, protoreflect.Fixed32Kind:
		return protowire.AppendFixed32(dst, uint32(v))
	case protoreflect.Sfixed64Kind, protoreflect.Fixed64Kind:
		return protowire.AppendFixed64(dst, v)
	}
	return protowire.AppendVarint(dst, v)
}

// timestamp appends a Timestamp's fields from its RFC 3339 text. Only the
// plain UTC form (2026-11-23T10:00:00[.fraction]Z) is taken here.
func (e *fastEncoder) timestamp(dst []byte) []byte {
	if e.s.Next() != jsonscan.StringValue {
		e.give = true
		return dst
	}
	v := e.s.ReadString()
	if len(v) < 20 || v[len(v)-1] != 'Z' || v[10] != 'T' {
		e.give = true
		return dst
	}
	if len(v) > 20 && (v[19] != '.' || len(v) > 30 || len(v) == 21) {
		e.give = true
		return dst
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		e.give = true
		return dst
	}
	if sec := t.Unix(); sec != 0 {
		dst = protowire.AppendVarint(protowire.AppendTag(dst, 1, protowire.VarintType), uint64(sec))
	}
	if ns := t.Nanosecond(); ns != 0 {
		dst = protowire.AppendVarint(protowire.AppendTag(dst, 2, protowire.VarintType), uint64(ns))
	}
	return dst
}

// decimal reports whether text is a JSON integer: -?(0|[1-9][0-9]*).
func decimal(text []byte) bool {
	if len(text) > 0 && text[0] == '-' {
		text = text[1:]
	}
	if len(text) == 0 || (text[0] == '0' && len(text) > 1) {
		return false
	}
	for _, c := range text {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// jsonNumber reports whether text is a JSON number (strconv also takes
// "1." and ".5", which JSON does not).
func jsonNumber(text []byte) bool {
	i := 0
	if i < len(text) && text[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	n := digits()
	if n == 0 || (text[start] == '0' && n > 1) {
		return false
	}
	if i < len(text) && text[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(text)
}
