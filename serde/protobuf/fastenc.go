package protobuf

import (
	"slices"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ferry-connect/ferry/internal/jsonscan"
)

// fastEncoder walks one document. give is set when the fast path gives
// up; the caller then uses protojson.
type fastEncoder struct {
	s       jsonscan.Scanner
	give    bool
	scratch []byte
}

var fastEncoders = sync.Pool{New: func() any { return new(fastEncoder) }}

// fastEncode appends payload's message to dst, or reports false.
func fastEncode(p *fastPlan, dst, payload []byte) ([]byte, bool) {
	e := fastEncoders.Get().(*fastEncoder)
	defer fastEncoders.Put(e)
	e.give = false
	e.s.Reset(payload)
	out := e.message(p, dst)
	if e.give || e.s.Finish() != nil {
		return dst, false
	}
	return out, true
}

func (e *fastEncoder) message(p *fastPlan, dst []byte) []byte {
	if e.s.Next() != jsonscan.ObjectValue {
		e.give = true
		return dst
	}
	var seenSmall [64]bool
	seen := seenSmall[:]
	if p.nfields > len(seen) {
		seen = make([]bool, p.nfields)
	}
	var oneofs uint64
	e.s.ReadObject(func(key []byte) bool {
		f := p.fields[string(key)]
		if f == nil || f.slow || seen[f.index] || e.s.Next() == jsonscan.NullValue {
			e.give = true
			return false
		}
		seen[f.index] = true
		if f.oneof > 0 {
			bit := uint64(1) << (f.oneof % 64)
			if f.oneof >= 64 || oneofs&bit != 0 {
				e.give = true
				return false
			}
			oneofs |= bit
		}
		dst = e.field(f, dst)
		return !e.give
	})
	return dst
}

func (e *fastEncoder) field(f *fastField, dst []byte) []byte {
	switch {
	case f.key != nil:
		return e.mapField(f, dst)
	case f.list:
		return e.listField(f, dst)
	}
	return e.value(f, dst, !f.presence && f.oneof == 0)
}

// value appends one tagged value; skipZero leaves out a zero scalar, as
// proto3 does for fields without presence.
func (e *fastEncoder) value(f *fastField, dst []byte, skipZero bool) []byte {
	if f.kind == protoreflect.MessageKind {
		dst = protowire.AppendTag(dst, f.num, protowire.BytesType)
		return e.nested(f.msg, dst)
	}
	mark := len(dst)
	dst = protowire.AppendTag(dst, f.num, wireType(f.kind))
	start := len(dst)
	if dst = e.scalar(f, dst); skipZero && allZero(dst[start:]) {
		return dst[:mark]
	}
	return dst
}

// nested appends a length-prefixed message: encoded in place, then moved
// up behind its length.
func (e *fastEncoder) nested(p *fastPlan, dst []byte) []byte {
	start := len(dst)
	switch {
	case p.stamp:
		dst = e.timestamp(dst)
	case p.wrapper != 0:
		// proto3 leaves a zero value out of the wrapper.
		dst = e.value(&fastField{num: 1, kind: p.wrapper}, dst, true)
	default:
		dst = e.message(p, dst)
	}
	return prefixLength(dst, start)
}

// prefixLength moves the bytes written since start up behind their
// length, as a length-delimited field's body.
func prefixLength(dst []byte, start int) []byte {
	n := len(dst) - start
	size := protowire.SizeVarint(uint64(n))
	dst = append(dst, make([]byte, size)...)
	copy(dst[start+size:], dst[start:start+n])
	protowire.AppendVarint(dst[start:start], uint64(n))
	return dst
}

// allZero reports whether a scalar's encoded value (after its tag) is all
// zero bytes, which is so exactly when the value is its type's zero: 0,
// +0.0, false, the first enum value, or an empty string or bytes (a zero
// length).
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (e *fastEncoder) listField(f *fastField, dst []byte) []byte {
	if e.s.Next() != jsonscan.ArrayValue {
		e.give = true
		return dst
	}
	packed := f.kind != protoreflect.StringKind && f.kind != protoreflect.BytesKind && f.kind != protoreflect.MessageKind
	if !packed {
		e.s.ReadArray(func() bool {
			if e.s.Next() == jsonscan.NullValue {
				e.give = true
				return false
			}
			dst = e.value(f, dst, false)
			return !e.give
		})
		return dst
	}
	mark := len(dst)
	dst = protowire.AppendTag(dst, f.num, protowire.BytesType)
	start := len(dst)
	empty := true
	e.s.ReadArray(func() bool {
		if e.s.Next() == jsonscan.NullValue {
			e.give = true
			return false
		}
		empty = false
		dst = e.scalar(f, dst)
		return !e.give
	})
	if empty {
		return dst[:mark]
	}
	return prefixLength(dst, start)
}

func (e *fastEncoder) mapField(f *fastField, dst []byte) []byte {
	if e.s.Next() != jsonscan.ObjectValue {
		e.give = true
		return dst
	}
	var keys []string // per map: maps nest
	e.s.ReadObject(func(key []byte) bool {
		if e.s.Next() == jsonscan.NullValue || slices.Contains(keys, string(key)) {
			e.give = true // protojson refuses a key twice; and a null
			return false
		}
		keys = append(keys, string(key))
		dst = protowire.AppendTag(dst, f.num, protowire.BytesType)
		start := len(dst)
		dst = protowire.AppendTag(dst, 1, wireType(f.key.kind))
		if dst = e.mapKey(f.key.kind, key, dst); e.give {
			return false
		}
		dst = prefixLength(e.value(f.val, dst, false), start)
		return !e.give
	})
	return dst
}

func (e *fastEncoder) mapKey(k protoreflect.Kind, key []byte, dst []byte) []byte {
	switch k {
	case protoreflect.StringKind:
		if !utf8.Valid(key) {
			e.give = true
			return dst
		}
		return protowire.AppendBytes(dst, key)
	case protoreflect.BoolKind:
		switch string(key) {
		case "true":
			return protowire.AppendVarint(dst, 1)
		case "false":
			return protowire.AppendVarint(dst, 0)
		}
		e.give = true
		return dst
	}
	return e.integer(k, key, dst)
}
