package protobuf

import (
	"sync"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/serde"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The fast path back: Protobuf wire bytes to JSON in one pass over the
// fields and one over the plan, writing what protojson writes (field
// order, number and string forms, map key order, the Timestamp and
// wrapper forms) without building a dynamic message. As on the way in,
// it gives anything it is not sure of to protojson: a malformed or merged
// message, a field of a type only protojson writes, invalid UTF-8, a
// Timestamp out of range. FuzzProtobufFastDecode compares the two.

// next splits the first field off b: its number, wire type and value
// (the body of a length-delimited one), and the rest. ok is false for
// what proto would refuse.
func next(b []byte) (num protowire.Number, typ protowire.Type, val, rest []byte, ok bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || !num.IsValid() {
		return 0, 0, nil, nil, false
	}
	b = b[n:]
	vn := protowire.ConsumeFieldValue(num, typ, b)
	if vn < 0 {
		return 0, 0, nil, nil, false
	}
	val, rest = b[:vn], b[vn:]
	if typ == protowire.BytesType {
		val, _ = protowire.ConsumeBytes(val)
	}
	return num, typ, val, rest, true
}

// fields calls each with every field of b, in order; it gives up, and
// reports false, on bytes proto would refuse, or when each says stop.
func (d *fastDecoder) fields(b []byte, each func(num protowire.Number, typ protowire.Type, val []byte) bool) bool {
	for len(b) > 0 {
		num, typ, val, rest, ok := next(b)
		if !ok {
			d.give = true
			return false
		}
		b = rest
		if !each(num, typ, val) {
			return false
		}
	}
	return true
}

// span is one occurrence of a known field in a message's bytes.
type span struct {
	field int // index in the plan's fields
	typ   protowire.Type
	val   []byte // the varint or fixed bytes, or a length-delimited body
}

type fastDecoder struct {
	names  bool // .proto names
	enumNo bool // enums as numbers
	give   bool
	depth  int
}

var spanPool = sync.Pool{New: func() any { s := make([]span, 0, 32); return &s }}

// fastDecode appends data's JSON to dst, or reports false.
func fastDecode(p *fastPlan, o serde.JSONOptions, dst, data []byte) ([]byte, bool) {
	d := fastDecoder{names: o.ProtoNames, enumNo: o.EnumNumbers}
	out := d.message(p, dst, data)
	if d.give {
		return dst, false
	}
	return out, true
}

func (d *fastDecoder) message(p *fastPlan, dst, data []byte) []byte {
	if d.depth++; d.depth > 100 {
		d.give = true
		return dst
	}
	defer func() { d.depth-- }()
	switch {
	case p.stamp:
		return d.timestamp(dst, data)
	case p.wrapper != 0:
		return d.wrapped(p, dst, data)
	}
	sp := spanPool.Get().(*[]span)
	spans := (*sp)[:0]
	defer func() { *sp = spans[:0]; spanPool.Put(sp) }()
	if !d.fields(data, func(num protowire.Number, typ protowire.Type, val []byte) bool {
		// An unknown field, or a wrong wire type, which reads as unknown:
		// protojson leaves it out.
		if f := p.byNum[num]; f != nil && wireFits(f, typ) {
			spans = append(spans, span{field: f.index, typ: typ, val: val})
		}
		return true
	}) {
		return dst
	}
	// The last member set of each oneof is the one that counts.
	var lastOneof [8]int
	for i := range spans {
		if f := p.ordered[spans[i].field]; f.oneof > 0 {
			if f.oneof > len(lastOneof) {
				d.give = true
				return dst
			}
			lastOneof[f.oneof-1] = spans[i].field + 1
		}
	}
	dst = append(dst, '{')
	first := true
	for _, f := range p.ordered {
		if f.oneof > 0 && lastOneof[f.oneof-1] != f.index+1 {
			// Not written, but proto reads it all the same, and fails on
			// what is malformed in it: so must this.
			d.field(f, spans, nil)
			if d.give {
				return dst
			}
			continue
		}
		mark := len(dst)
		if !first {
			dst = append(dst, ',')
		}
		dst = d.name(f, dst)
		before := len(dst)
		dst = d.field(f, spans, dst)
		if d.give {
			return dst
		}
		if len(dst) == before { // nothing to write
			dst = dst[:mark]
			continue
		}
		first = false
	}
	return append(dst, '}')
}

// wireFits reports whether a field's occurrence has the wire type it
// needs: its own, or length-delimited for a packed list.
func wireFits(f *fastField, typ protowire.Type) bool {
	switch {
	case f.key != nil:
		return typ == protowire.BytesType
	case typ == wireType(f.kind):
		return true
	}
	return f.list && typ == protowire.BytesType && f.kind != protoreflect.StringKind && f.kind != protoreflect.BytesKind && f.kind != protoreflect.MessageKind
}

func (d *fastDecoder) name(f *fastField, dst []byte) []byte {
	n := f.jsonName
	if d.names {
		n = f.protoName
	}
	dst = append(dst, '"')
	dst = append(dst, n...)
	return append(dst, '"', ':')
}

// field appends f's value, or nothing when protojson would leave it out.
func (d *fastDecoder) field(f *fastField, spans []span, dst []byte) []byte {
	if f.slow {
		for _, s := range spans {
			if s.field == f.index {
				d.give = true
				return dst
			}
		}
		return dst
	}
	switch {
	case f.key != nil:
		return d.mapValue(f, spans, dst)
	case f.list:
		return d.list(f, spans, dst)
	case f.kind == protoreflect.MessageKind:
		var body []byte
		n := 0
		for _, s := range spans {
			if s.field == f.index {
				if s.typ != protowire.BytesType {
					continue // a wrong wire type is an unknown field
				}
				body, n = s.val, n+1
			}
		}
		if n == 0 {
			return dst
		}
		if n > 1 {
			d.give = true // occurrences merge: protojson's job
			return dst
		}
		return d.message(f.msg, dst, body)
	}
	var last *span
	for i := range spans {
		if spans[i].field == f.index && spans[i].typ == wireType(f.kind) {
			last = &spans[i]
			if f.kind == protoreflect.StringKind && !utf8.Valid(last.val) {
				d.give = true // proto refuses it, even when a later one replaces it
				return dst
			}
		}
	}
	if last == nil {
		return dst
	}
	if !f.presence && f.oneof == 0 && zeroScalar(f.kind, last.val) {
		return dst
	}
	return d.scalar(f, dst, last.typ, last.val)
}
