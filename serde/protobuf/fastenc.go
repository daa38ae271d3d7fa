package protobuf

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ferry-connect/ferry/internal/jsonscan"
)

// The fast path turns JSON into Protobuf wire bytes in one walk of the
// text, guided by a plan compiled from the message descriptor, without
// building a dynamic message: the way the Avro encoder works. It covers
// what JSON producers send: proto3 scalars, enums, nested and repeated
// messages, maps, oneofs, Timestamp and the wrappers. Anything else, and
// anything it is not sure of (a duplicate or unknown field, a null, a
// number in an unusual form, a value out of range, a second oneof member,
// a Timestamp not in plain UTC form), makes it give up, and the record
// goes through protojson, which then gives the answer or the error. So the
// fast path never decides what protojson would refuse; a differential fuzz
// test (FuzzProtobufFastPath) holds it to that.

// fastPlan is a message's plan, or nil when the message needs protojson.
type fastPlan struct {
	fields  map[string]*fastField // by JSON name and by .proto name
	byNum   map[protowire.Number]*fastField
	ordered []*fastField // in declaration order, as protojson writes them
	nfields int
	wrapper protoreflect.Kind // for a wrapper type, the kind of its value
	stamp   bool              // google.protobuf.Timestamp
}

type fastField struct {
	slow      bool // a field of a type only protojson reads (Duration, Struct, Any, …)
	index     int  // in the message's fields, for the duplicate check
	jsonName  string
	protoName string
	num       protowire.Number
	kind      protoreflect.Kind
	list      bool
	presence  bool // written even when zero
	oneof     int  // 1 + the oneof's index, or 0
	msg       *fastPlan
	enum      protoreflect.EnumValueDescriptors
	// Maps: the entry's key and value.
	key, val *fastField
}

// fastPlans caches a codec's plans, by message descriptor.
type fastPlans struct{ m sync.Map } // protoreflect.MessageDescriptor -> *fastPlan (nil: no fast path)

// of returns md's plan, or nil if md needs protojson.
func (fp *fastPlans) of(md protoreflect.MessageDescriptor) *fastPlan {
	if p, ok := fp.m.Load(md); ok {
		return p.(*fastPlan)
	}
	p := buildPlan(md, map[protoreflect.MessageDescriptor]*fastPlan{})
	fp.m.Store(md, p)
	return p
}

func buildPlan(md protoreflect.MessageDescriptor, building map[protoreflect.MessageDescriptor]*fastPlan) *fastPlan {
	if p, ok := building[md]; ok {
		return p // recursive messages share the plan being built
	}
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return &fastPlan{stamp: true}
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
		"google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return &fastPlan{wrapper: md.Fields().ByNumber(1).Kind()}
	}
	if md.ParentFile().Package() == "google.protobuf" || md.ParentFile().Syntax() != protoreflect.Proto3 || md.ExtensionRanges().Len() > 0 {
		return nil // other well-known types, proto2 and editions semantics: protojson
	}
	p := &fastPlan{fields: map[string]*fastField{}, byNum: map[protowire.Number]*fastField{}, nfields: md.Fields().Len()}
	building[md] = p
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		f := planField(fd, building)
		f.index, f.jsonName, f.protoName = i, fd.JSONName(), string(fd.Name())
		p.fields[f.jsonName] = f
		p.fields[f.protoName] = f
		p.byNum[f.num] = f
		p.ordered = append(p.ordered, f)
	}
	return p
}

func planField(fd protoreflect.FieldDescriptor, building map[protoreflect.MessageDescriptor]*fastPlan) *fastField {
	f := &fastField{num: fd.Number(), kind: fd.Kind(), list: fd.IsList(), presence: fd.HasPresence()}
	if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
		f.oneof = od.Index() + 1
	}
	switch fd.Kind() {
	case protoreflect.GroupKind:
		f.slow = true
	case protoreflect.MessageKind:
		if fd.IsMap() {
			f.key = planField(fd.MapKey(), building)
			f.val = planField(fd.MapValue(), building)
			f.list = false
			f.slow = f.key.slow || f.val.slow
			return f
		}
		f.msg = buildPlan(fd.Message(), building)
		f.slow = f.msg == nil
	case protoreflect.EnumKind:
		f.enum = fd.Enum().Values()
		f.slow = fd.Enum().FullName() == "google.protobuf.NullValue"
	}
	return f
}

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
		if e.s.Next() != jsonscan.NumberValue {
			e.give = true
			return dst
		}
		bits := 64
		if f.kind == protoreflect.FloatKind {
			bits = 32
		}
		text := e.s.ReadNumber()
		v, err := strconv.ParseFloat(string(text), bits)
		if err != nil || !jsonNumber(text) {
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

func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.FloatKind, protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return protowire.Fixed32Type
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
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
