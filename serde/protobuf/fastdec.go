package protobuf

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ferry-connect/ferry/serde"
	"github.com/ferry-connect/ferry/serde/internal/jsonw"
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

func (d *fastDecoder) list(f *fastField, spans []span, dst []byte) []byte {
	start := len(dst)
	dst = append(dst, '[')
	n := 0
	packable := f.kind != protoreflect.StringKind && f.kind != protoreflect.BytesKind && f.kind != protoreflect.MessageKind
	want := wireType(f.kind)
	for _, s := range spans {
		if s.field != f.index || d.give {
			continue
		}
		switch {
		case s.typ == want:
			if n > 0 {
				dst = append(dst, ',')
			}
			if f.kind == protoreflect.MessageKind {
				dst = d.message(f.msg, dst, s.val)
			} else {
				dst = d.scalar(f, dst, s.typ, s.val)
			}
			n++
		case packable && s.typ == protowire.BytesType:
			b := s.val
			for len(b) > 0 && !d.give {
				var m int
				switch want {
				case protowire.VarintType:
					_, m = protowire.ConsumeVarint(b)
				case protowire.Fixed32Type:
					_, m = protowire.ConsumeFixed32(b)
				default:
					_, m = protowire.ConsumeFixed64(b)
				}
				if m < 0 {
					d.give = true
					break
				}
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = d.scalar(f, dst, want, b[:m])
				b = b[m:]
				n++
			}
		}
	}
	if n == 0 {
		return dst[:start]
	}
	return append(dst, ']')
}

// mapValue writes a map's entries with their keys sorted as protojson
// sorts them; a key written twice keeps its last value.
func (d *fastDecoder) mapValue(f *fastField, spans []span, dst []byte) []byte {
	type entry struct {
		key    []byte // the key's JSON text, quoted
		sortBy any
		val    []byte // its value's wire bytes, nil if absent
		typ    protowire.Type
	}
	var entries []entry
	for _, s := range spans {
		if s.field != f.index || s.typ != protowire.BytesType {
			continue
		}
		var e entry
		var key []byte
		keyTyp := protowire.Type(-1)
		if !d.fields(s.val, func(num protowire.Number, typ protowire.Type, v []byte) bool {
			switch {
			case num == 1 && typ == wireType(f.key.kind):
				key, keyTyp = v, typ
			case num == 2 && typ == wireType(f.val.kind):
				e.val, e.typ = v, typ
			case num == 1 || num == 2:
				// A key or value of the wrong wire type: protobuf-go
				// fails on it (or panics; see unmarshal), so protojson's
				// path gives the answer.
				d.give = true
				return false
			}
			return true
		}) {
			return dst
		}
		e.key, e.sortBy = d.mapKey(f.key, key, keyTyp)
		if d.give {
			return dst
		}
		if slices.ContainsFunc(entries, func(x entry) bool { return string(x.key) == string(e.key) }) {
			d.give = true // a key written twice: rare, and protojson's to sort out
			return dst
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return dst
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch x := a.sortBy.(type) {
		case string:
			return strings.Compare(x, b.sortBy.(string))
		case int64:
			return cmpInt(x, b.sortBy.(int64))
		case uint64:
			return cmpInt(x, b.sortBy.(uint64))
		}
		return cmpInt(boolInt(a.sortBy.(bool)), boolInt(b.sortBy.(bool)))
	})
	dst = append(dst, '{')
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, e.key...)
		dst = append(dst, ':')
		switch {
		case f.val.kind == protoreflect.MessageKind:
			if f.val.slow {
				d.give = true
				return dst
			}
			dst = d.message(f.val.msg, dst, e.val)
		case e.val == nil:
			dst = d.zero(f.val, dst)
		default:
			dst = d.scalar(f.val, dst, e.typ, e.val)
		}
	}
	return append(dst, '}')
}

func cmpInt[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// mapKey returns a key's JSON text (always a string) and what it sorts by.
func (d *fastDecoder) mapKey(f *fastField, v []byte, typ protowire.Type) ([]byte, any) {
	if v == nil {
		v = zeroWire(f.kind)
		typ = wireType(f.kind)
	}
	switch f.kind {
	case protoreflect.StringKind:
		out := d.str(nil, v)
		return out, string(v)
	case protoreflect.BoolKind:
		x, _ := protowire.ConsumeVarint(v)
		if x != 0 {
			return []byte(`"true"`), true
		}
		return []byte(`"false"`), false
	}
	n, u, signed := d.integer(f.kind, typ, v)
	if signed {
		return strconv.AppendQuote(nil, strconv.FormatInt(n, 10)), n
	}
	return strconv.AppendQuote(nil, strconv.FormatUint(u, 10)), u
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
